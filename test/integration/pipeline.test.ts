import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, ReceiverPool, type Responder } from '../support/receiver';
import { LOCAL_DELIVERY, type Pipeline, startPipeline } from '../support/pipeline';

describe('Pipeline: ingest -> fan-out -> delivery against the emulators', () => {
  let pipeline: Pipeline;
  let key: string;
  const receivers = new ReceiverPool();
  const receiver = (responder?: Responder) => receivers.start(responder);

  const subscribe = (url: string, eventTypes: string[]) => pipeline.subscribe(key, url, eventTypes);

  beforeAll(async () => {
    pipeline = await startPipeline({ ...LOCAL_DELIVERY, WEBHOOK_RETRY_SCHEDULE: '1,1' });
    key = await pipeline.createKey('acme');
  });

  afterAll(receivers.closeAll);

  it('delivers a signed event to exactly the three matching subscriptions', async () => {
    // Prepare
    const exact = await receiver();
    const prefix = await receiver();
    const everything = await receiver();
    const otherType = await receiver();
    const otherPrefix = await receiver();
    const subs = {
      exact: await subscribe(exact.url, ['order.created']),
      prefix: await subscribe(prefix.url, ['order.*']),
      everything: await subscribe(everything.url, ['*']),
    };
    await subscribe(otherType.url, ['order.cancelled']);
    await subscribe(otherPrefix.url, ['invoice.*']);

    // Act
    const published = await pipeline.call('POST', '/v1/events', {
      key,
      body: { type: 'order.created', data: { orderId: 42, total: '9.99' } },
    });
    await pipeline.drain({ until: () => exact.requests.length + prefix.requests.length + everything.requests.length >= 3 });
    await pipeline.drain();

    // Assess
    expect(published.status).toBe(202);
    expect(published.body.id).toMatch(/^evt_[0-9A-Z]{26}$/);
    for (const [name, target] of [['exact', exact], ['prefix', prefix], ['everything', everything]] as const) {
      expect(target.requests).toHaveLength(1);
      const request = target.requests[0]!;
      expect(request.headers['webhook-id']).toBe(published.body.id);
      expect(request.headers['content-type']).toBe('application/json');
      expect(Receiver.verify(request, subs[name].secret)).toEqual({
        type: 'order.created',
        timestamp: published.body.createdAt,
        data: { orderId: 42, total: '9.99' },
      });
    }
    expect(otherType.requests).toHaveLength(0);
    expect(otherPrefix.requests).toHaveLength(0);

    const deliveries = await pipeline.call('GET', `/v1/events/${published.body.id}/deliveries`, { key });
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.items.map((d: { status: string }) => d.status)).toEqual(['delivered', 'delivered', 'delivered']);
  });
});
