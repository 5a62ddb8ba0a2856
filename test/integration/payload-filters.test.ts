import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INLINE_DATA_LIMIT_BYTES } from '../../lambdas/core/messages';
import { ReceiverPool, type Receiver } from '../support/receiver';
import { LOCAL_DELIVERY, type Pipeline, startPipeline } from '../support/pipeline';

const BIG_ORDERS = { data: { amount: [{ numeric: ['>=', 100] }] } };

describe('Payload filters through the pipeline', () => {
  let pipeline: Pipeline;
  let key: string;
  const receivers = new ReceiverPool();

  const createSubscription = (body: Record<string, unknown>) => pipeline.call('POST', '/v1/subscriptions', { key, body });
  const deliveredTo = async (eventId: string): Promise<string[]> => {
    const deliveries = await pipeline.call('GET', `/v1/events/${eventId}/deliveries`, { key });
    expect(deliveries.status).toBe(200);
    return deliveries.body.items.map((item: { subscriptionId: string }) => item.subscriptionId).sort();
  };
  /** Publishes and runs the pipeline until the unfiltered control subscription has this event too. */
  const publishAndDrain = async (data: unknown, control: Receiver): Promise<string> => {
    const before = control.requests.length;
    const { id } = await pipeline.publish(key, 'order.created', data);
    await pipeline.drain({ until: () => control.requests.length > before });
    await pipeline.drain();
    return id;
  };

  beforeAll(async () => {
    pipeline = await startPipeline(LOCAL_DELIVERY);
    key = await pipeline.createKey('filters');
  });

  afterAll(receivers.closeAll);

  it('enqueues no delivery for an event the filter leaves out, delivers one it matches, and delivers everything once the filter is removed', async () => {
    // Prepare
    const filtered = await receivers.start();
    const control = await receivers.start();
    const created = await createSubscription({ url: filtered.url, eventTypes: ['order.*'], filter: BIG_ORDERS });
    const controlSubscription = await pipeline.subscribe(key, control.url, ['order.*']);
    const padding = 'x'.repeat(INLINE_DATA_LIMIT_BYTES);

    // Act
    const small = await publishAndDrain({ amount: 50 }, control);
    const big = await publishAndDrain({ amount: 150 }, control);
    const largeSmall = await publishAndDrain({ amount: 50, padding }, control);
    const largeBig = await publishAndDrain({ amount: 150, padding }, control);
    const removed = await pipeline.call('PATCH', `/v1/subscriptions/${created.body.id}`, { key, body: { filter: null } });
    const afterRemoval = await publishAndDrain({ amount: 50 }, control);

    // Assess
    expect(created.status).toBe(201);
    expect(created.body.filter).toEqual(BIG_ORDERS);
    const both = [created.body.id, controlSubscription.id].sort();
    expect(await deliveredTo(small)).toEqual([controlSubscription.id]);
    expect(await deliveredTo(big)).toEqual(both);
    expect(await deliveredTo(largeSmall)).toEqual([controlSubscription.id]);
    expect(await deliveredTo(largeBig)).toEqual(both);
    expect(await deliveredTo(afterRemoval)).toEqual(both);
    expect(filtered.requests.map((request) => request.headers['webhook-id'])).toEqual([big, largeBig, afterRemoval]);
    expect(removed.status).toBe(200);
    expect(removed.body).not.toHaveProperty('filter');
  });

  it('keeps a filter exactly as given, numbers beyond what DynamoDB can hold as a number included', async () => {
    // Prepare
    const receiver = await receivers.start();
    const filter = { data: { amount: [{ numeric: ['>', -1e300, '<', 1e-300] }, 5e-324, null, ''], $or: [{ a: [true] }, { b: [{ exists: false }] }] } };

    // Act
    const created = await createSubscription({ url: receiver.url, eventTypes: ['order.*'], filter });
    const read = await pipeline.call('GET', `/v1/subscriptions/${created.body.id}`, { key });

    // Assess
    expect(created.status).toBe(201);
    expect(read.body.filter).toEqual(filter);
  });

  it('answers a filter that breaks a rule with a 422 invalid_filter naming its path, on create and on update', async () => {
    // Prepare
    const receiver = await receivers.start();
    const existing = await pipeline.subscribe(key, receiver.url, ['order.*']);
    const bad = { data: { amount: [{ numeric: ['x', 5] }] } };

    // Act
    const create = await createSubscription({ url: receiver.url, eventTypes: ['order.*'], filter: bad });
    const update = await pipeline.call('PATCH', `/v1/subscriptions/${existing.id}`, { key, body: { filter: bad } });
    const oversize = await createSubscription({ url: receiver.url, eventTypes: ['order.*'], filter: { data: { note: ['x'.repeat(5000)] } } });

    // Assess
    for (const answer of [create, update]) {
      expect(answer.status).toBe(422);
      expect(answer.body).toEqual({
        error: {
          code: 'invalid_filter',
          message: 'filter.data.amount[0].numeric: expected an operator (">", ">=", "<", "<=" or "="), got "x"',
          path: 'filter.data.amount[0].numeric',
        },
      });
    }
    expect(oversize.status).toBe(422);
    expect(oversize.body.error).toMatchObject({ code: 'invalid_filter', path: 'filter' });
    expect((await pipeline.call('GET', `/v1/subscriptions/${existing.id}`, { key })).body).not.toHaveProperty('filter');
  });
});
