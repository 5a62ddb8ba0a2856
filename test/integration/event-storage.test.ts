import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/core/resource-env';
import { localClients } from '../support/emulators';
import { startPipeline, type Pipeline } from '../support/pipeline';

/** DynamoDB's item size: attribute names plus values (strings and binaries by length, numbers about one byte per two digits). */
const itemBytes = (item: Record<string, AttributeValue>): number =>
  Object.entries(item).reduce((sum, [name, value]) => {
    const size =
      value.S !== undefined ? Buffer.byteLength(value.S) : value.B !== undefined ? value.B.length : value.N !== undefined ? Math.ceil(value.N.length / 2) + 1 : value.BOOL !== undefined ? 1 : 0;
    return sum + Buffer.byteLength(name) + size;
  }, 0);

/** A realistic 1 KB order event, the size the cost benchmark uses. */
const orderOfAboutOneKb = () => ({
  orderId: 'ord_01J8X9Q2M4',
  customer: { id: 'cus_4821', email: 'ada@example.com', name: 'Ada Lovelace', tier: 'gold' },
  currency: 'EUR',
  lines: Array.from({ length: 8 }, (_, index) => ({ sku: `SKU-${1000 + index}`, name: `Widget model ${index}`, quantity: index + 1, unitPrice: 19.5 + index, tax: 0.2 })),
  shipping: { method: 'express', address: { street: '12 Example Street', city: 'London', postcode: 'NW1 6XE', country: 'GB' } },
  createdAt: '2026-03-01T12:00:00.000Z',
});

describe('Event storage: what one stored event costs', () => {
  let pipeline: Pipeline;
  let key: string;

  beforeAll(async () => {
    pipeline = await startPipeline();
    key = await pipeline.createKey('storage');
  });

  const storedItem = async (eventId: string): Promise<Record<string, AttributeValue>> => {
    const { Items = [] } = await localClients().dynamo.send(new ScanCommand({ TableName: pipeline.env[ENV.eventsTable]!, ConsistentRead: true }));
    const item = Items.find((candidate) => Object.values(candidate).some((value) => value.S?.endsWith(eventId)));
    if (item === undefined) throw new Error(`no stored item for ${eventId}`);
    return item;
  };

  it('keeps a 1 KB JSON payload within one write unit (1 KB), and reads it back as sent', async () => {
    // Prepare
    const data = orderOfAboutOneKb();
    expect(Buffer.byteLength(JSON.stringify(data))).toBeGreaterThan(900);

    // Act
    const accepted = await pipeline.publish(key, 'order.created', data);
    const read = await pipeline.call('GET', `/v1/events/${accepted.id}`, { key });

    // Assess
    expect(itemBytes(await storedItem(accepted.id))).toBeLessThanOrEqual(1024);
    expect(read.body.data).toEqual(data);
  });

  it('stores small and incompressible payloads as JSON text, and reads every kind back exactly', async () => {
    // Prepare
    const payloads = [
      { n: 1 },
      { random: Buffer.from(Array.from({ length: 900 }, (_, i) => (i * 7919) % 251)).toString('base64') },
      { text: 'é€😀 '.repeat(200), deep: [[[[{ x: null }]]]], big: 12345678901234567890123, tiny: 1e-300 },
    ];

    for (const data of payloads) {
      // Act
      const accepted = await pipeline.publish(key, 'storage.mixed', data);
      const read = await pipeline.call('GET', `/v1/events/${accepted.id}`, { key });

      // Assess
      expect(read.body.data).toEqual(JSON.parse(JSON.stringify(data)));
    }
    const small = await pipeline.publish(key, 'storage.mixed', { n: 2 });
    expect((await storedItem(small.id)).dataJson?.S).toBe('{"n":2}');
  });
});
