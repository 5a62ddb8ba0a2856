import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toItem } from '../../lambdas/aws/dynamo-support';
import { ENV, TABLE_KEYS } from '../../lambdas/core/resource-env';
import { newId } from '../../lambdas/core/ids';
import { INLINE_DATA_LIMIT_BYTES } from '../../lambdas/core/messages';
import { localClients } from '../support/emulators';
import { dataText } from '../support/json-texts';
import { LOCAL_DELIVERY, type Pipeline, startPipeline } from '../support/pipeline';
import { Receiver, ReceiverPool, type ReceivedRequest } from '../support/receiver';

/** The body a receiver must get: the envelope around the data text exactly as published. */
const expectedBody = (type: string, createdAt: string, data: string): string =>
  `{"type":${JSON.stringify(type)},"timestamp":${JSON.stringify(createdAt)},"data":${data}}`;

/**
 * "An event is delivered exactly as it was sent, or refused" (docs/delivery-semantics.md): the
 * JSON text of `data` goes from the ingest API through the event store, both queues and the
 * delivery function to a real receiver, byte for byte, signed over those bytes.
 */
describe('Event data as published, through ingest, the queues and delivery to a receiver', () => {
  let pipeline: Pipeline;
  const receivers = new ReceiverPool();

  beforeAll(async () => {
    pipeline = await startPipeline({ ...LOCAL_DELIVERY, WEBHOOK_RETRY_SCHEDULE: '1,1' });
  });

  afterAll(receivers.closeAll);

  /** A tenant of its own with one receiver subscribed to everything. */
  const tenant = async (name: string) => {
    const tenantId = `${name}-${newId('key').slice(-8)}`;
    const key = await pipeline.createKey(tenantId);
    const receiver = await receivers.start();
    const subscription = await pipeline.subscribe(key, receiver.url, ['*']);
    return { tenantId, key, receiver, secret: subscription.secret, subscriptionId: subscription.id };
  };

  /** Publishes `{type, data}` written as text, so the data member is exactly `data`. */
  const publishText = (key: string, type: string, data: string, body = `{"type":${JSON.stringify(type)},\n  "data":  ${data}\n}`) =>
    pipeline.call('POST', '/v1/events', { key, body });

  const requestsFor = (receiver: Receiver, eventId: string): ReceivedRequest[] =>
    receiver.requests.filter((request) => request.headers['webhook-id'] === eventId);

  const expectDeliveredExactly = (request: ReceivedRequest, secret: string, type: string, createdAt: string, data: string): void => {
    expect(Buffer.from(request.body)).toEqual(Buffer.from(expectedBody(type, createdAt, data)));
    expect(() => Receiver.verify(request, secret)).not.toThrow();
  };

  it('delivers generated data texts (big integers, long decimals, exponents, escapes, nesting, whitespace) byte for byte, signed over those bytes', async () => {
    const { key, receiver, secret } = await tenant('exact');
    await fc.assert(
      fc.asyncProperty(fc.array(dataText(), { minLength: 1, maxLength: 4 }), async (texts) => {
        // Act
        const published: { data: string; id: string; createdAt: string }[] = [];
        for (const data of texts) {
          const response = await publishText(key, 'exact.generated', data);
          expect(response.status, response.text).toBe(202);
          published.push({ data, id: response.body.id as string, createdAt: response.body.createdAt as string });
        }
        await pipeline.drain({ until: () => published.every(({ id }) => requestsFor(receiver, id).length > 0) });

        // Assess
        for (const { data, id, createdAt } of published) {
          const [request] = requestsFor(receiver, id);
          expectDeliveredExactly(request!, secret, 'exact.generated', createdAt, data);
          const read = await pipeline.call('GET', `/v1/events/${id}`, { key });
          expect(read.text).toContain(`"data":${data},"deliveries":`);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('delivers data too large to ride in the queue messages exactly, read from the event store', async () => {
    // Prepare: about 120 KB of numbers and escapes a parse would change
    const { key, receiver, secret } = await tenant('large');
    const item = '{ "id": 12345678901234567890123, "price": 0.1000000000000000000000001, "huge": 1e400, "name": "\\u00e9\\u00E9\\/" }';
    const data = `[\n${Array.from({ length: 1200 }, () => item).join(',\n')}\n]`;
    expect(Buffer.byteLength(data)).toBeGreaterThan(2 * INLINE_DATA_LIMIT_BYTES);

    // Act
    const published = await publishText(key, 'exact.large', data);
    expect(published.status, published.text).toBe(202);
    await pipeline.drain({ until: () => requestsFor(receiver, published.body.id).length > 0 });

    // Assess
    expectDeliveredExactly(requestsFor(receiver, published.body.id)[0]!, secret, 'exact.large', published.body.createdAt, data);
  });

  it('replays the data text exactly as it was first delivered', async () => {
    // Prepare
    const { key, receiver, secret, subscriptionId } = await tenant('replay');
    const data = '{"amount": 12345678901234567890.50, "rate": 1E-400, "note": "caf\\u00e9 \\ud83d\\ude00"}';
    const published = await publishText(key, 'exact.replayed', data);
    await pipeline.drain({ until: () => requestsFor(receiver, published.body.id).length > 0 });

    // Act
    const all = await pipeline.call('POST', `/v1/events/${published.body.id}/replay`, { key });
    const one = await pipeline.call('POST', `/v1/events/${published.body.id}/replay`, { key, body: { subscriptionId } });
    await pipeline.drain({ until: () => requestsFor(receiver, published.body.id).length >= 3 });

    // Assess
    expect([all.status, one.status]).toEqual([202, 202]);
    const requests = requestsFor(receiver, published.body.id);
    expect(requests).toHaveLength(3);
    for (const request of requests) expectDeliveredExactly(request, secret, 'exact.replayed', published.body.createdAt, data);
  });

  it.each([
    ['as JSON text', (json: string) => ({ dataJson: json })],
    ['deflated', (json: string) => ({ dataDeflated: deflateRawSync(json) })],
  ])('replays an event stored by an earlier version (its data %s, as JSON.stringify wrote it) as that version delivered it', async (_label, encode) => {
    // Prepare: the item as earlier versions wrote it, the data parsed and written again
    const { tenantId, key, receiver, secret } = await tenant('legacy-store');
    const value = { orderId: 42, note: 'é'.repeat(400), total: 9.5, lines: [{ sku: 'A-1' }] };
    const eventId = newId('evt');
    const createdAt = new Date().toISOString();
    await localClients().dynamo.send(
      new PutItemCommand({
        TableName: pipeline.env[ENV.eventsTable]!,
        Item: toItem({
          [TABLE_KEYS.partitionKey]: `${tenantId}#${eventId}`,
          tenantId,
          id: eventId,
          type: 'legacy.stored',
          createdAt,
          expiresAt: Math.floor(Date.now() / 1000) + 86400,
          ...encode(JSON.stringify(value)),
        }),
      }),
    );

    // Act
    const replay = await pipeline.call('POST', `/v1/events/${eventId}/replay`, { key });
    await pipeline.drain({ until: () => requestsFor(receiver, eventId).length > 0 });

    // Assess
    expect(replay.status, replay.text).toBe(202);
    const [request] = requestsFor(receiver, eventId);
    expect(request!.body).toBe(JSON.stringify({ type: 'legacy.stored', timestamp: createdAt, data: value }));
    expect(() => Receiver.verify(request!, secret)).not.toThrow();
  });

  it('delivers a queue message sent by an earlier version (data as a parsed value) as that version delivered it', async () => {
    // Prepare
    const { tenantId, receiver, secret, subscriptionId } = await tenant('legacy-message');
    const eventId = newId('evt');
    const createdAt = new Date().toISOString();
    const value = { orderId: 7, tags: ['a', 'b'], nested: { ok: true } };
    const message = { v: 1, tenantId, eventId, eventType: 'legacy.queued', createdAt, run: eventId, subscriptionId, subscriptionVersion: 1, data: value, hasData: true };

    // Act
    await localClients().sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrl('delivery'), MessageBody: JSON.stringify(message) }));
    await pipeline.drain({ until: () => requestsFor(receiver, eventId).length > 0 });

    // Assess
    const [request] = requestsFor(receiver, eventId);
    expect(request!.body).toBe(JSON.stringify({ type: 'legacy.queued', timestamp: createdAt, data: value }));
    expect(() => Receiver.verify(request!, secret)).not.toThrow();
  });

  describe('refusals: what cannot be delivered as sent is not accepted', () => {
    it.each([
      ['a key repeated inside data', '{"type":"exact.dup","data":{"id":1,"items":[{"sku":"a","sku":"b"}]}}', 'data.items[0]'],
      ['a key repeated in one object of data, spelled with an escape', '{"type":"exact.dup","data":{"id":1,"\\u0069d":2}}', 'data'],
      ['data given twice', '{"type":"exact.dup","data":1,"data":2}', 'the top level'],
    ])('answers 422 duplicate_json_key for %s, naming where', async (_label, body, where) => {
      // Prepare
      const { key, receiver } = await tenant('dup');

      // Act
      const response = await pipeline.call('POST', '/v1/events', { key, body });
      await pipeline.drain();

      // Assess
      expect(response.status).toBe(422);
      expect(response.body.error.code).toBe('duplicate_json_key');
      expect(response.body.error.message).toContain(where);
      expect(receiver.requests).toHaveLength(0);
    });

    it.each([
      ['a lone continuation byte', [0x80]],
      ['a truncated two-byte sequence', [0xc3]],
      ['an overlong slash', [0xc0, 0xaf]],
      ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ])('answers 400 invalid_encoding for data holding %s, never delivering U+FFFD', async (_label, bytes) => {
      // Prepare
      const { key, receiver } = await tenant('utf8');
      const body = Buffer.concat([Buffer.from('{"type":"exact.bytes","data":{"name":"caf'), Buffer.from(bytes), Buffer.from('"}}')]);

      // Act
      const response = await pipeline.call('POST', '/v1/events', { key, body });
      await pipeline.drain();

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_encoding');
      expect(receiver.requests).toHaveLength(0);
    });

    it.each(['Webhook.subscription.disabled', 'WEBHOOK.delivery.exhausted', 'wEbHoOk.x', 'webhook.x'])(
      'answers 422 reserved_event_type for %j: the prefix is reserved in any letter case',
      async (type) => {
        // Prepare
        const { key, receiver } = await tenant('reserved');

        // Act
        const response = await pipeline.call('POST', '/v1/events', { key, body: { type, data: {} } });
        await pipeline.drain();

        // Assess
        expect(response.status).toBe(422);
        expect(response.body.error.code).toBe('reserved_event_type');
        expect(receiver.requests).toHaveLength(0);
      },
    );
  });
});
