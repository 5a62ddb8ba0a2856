import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, ReceiverPool, type Responder } from '../support/receiver';
import { startPipeline, type Pipeline } from '../support/pipeline';

describe('Recovery, operational events and rate limits against the emulators', () => {
  let pipeline: Pipeline;
  let key: string;
  const receivers = new ReceiverPool();
  const receiver = (responder?: Responder) => receivers.start(responder);

  const subscribe = (url: string, eventTypes: string[]) => pipeline.subscribe(key, url, eventTypes);
  const publish = (type: string, data: unknown) => pipeline.publish(key, type, data);

  const statusOf = async (subscriptionId: string, eventId: string) => {
    const response = await pipeline.call('GET', `/v1/subscriptions/${subscriptionId}/deliveries`, { key });
    return (response.body.items as Array<{ eventId: string; status: string; attempts: number }>).find((d) => d.eventId === eventId);
  };

  beforeAll(async () => {
    pipeline = await startPipeline({
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
      WEBHOOK_RETRY_SCHEDULE: '1',
    });
    key = await pipeline.createKey('recovery');
  });

  afterAll(receivers.closeAll);

  it('re-sends exhausted deliveries in a window once the endpoint works again, with the same webhook-id', async () => {
    // Prepare
    let healthy = false;
    const target = await receiver(() => ({ status: healthy ? 200 : 500 }));
    const subscription = await subscribe(target.url, ['report.ready']);
    const since = new Date(Date.now() - 1000).toISOString();
    const event = await publish('report.ready', { id: 'r1' });
    await pipeline.drain({ until: () => target.requests.length >= 2, timeoutMs: 20_000 });
    await pipeline.drain();
    expect(await statusOf(subscription.id, event.id)).toMatchObject({ status: 'exhausted', attempts: 2 });

    // Act
    healthy = true;
    const recovery = await pipeline.call('POST', `/v1/subscriptions/${subscription.id}/recover`, { key, body: { since } });
    await pipeline.drain({ until: () => target.requests.length >= 3 });
    await pipeline.drain();

    // Assess
    expect(recovery.status).toBe(202);
    expect(recovery.body.recoveryId).toMatch(/^run_/);
    expect(target.requests.map((r) => r.headers['webhook-id'])).toEqual([event.id, event.id, event.id]);
    expect(Receiver.verify(target.requests[2]!, subscription.secret)).toMatchObject({ data: { id: 'r1' } });
    expect(await statusOf(subscription.id, event.id)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('publishes webhook.delivery.exhausted and webhook.subscription.disabled to the tenant, never about themselves', async () => {
    // Prepare
    const monitor = await receiver();
    const monitorSubscription = await subscribe(monitor.url, ['webhook.*']);
    const failing = await receiver(() => ({ status: 500 }));
    const gone = await receiver(() => ({ status: 410 }));
    const failingSubscription = await subscribe(failing.url, ['job.failed']);
    const goneSubscription = await subscribe(gone.url, ['job.gone']);

    // Act
    const failedEvent = await publish('job.failed', {});
    const goneEvent = await publish('job.gone', {});
    await pipeline.drain({ until: () => monitor.requests.length >= 3, timeoutMs: 20_000 });
    await pipeline.drain();

    // Assess
    const received = monitor.requests.map((r) => Receiver.verify(r, monitorSubscription.secret) as { type: string; data: Record<string, unknown> });
    expect(received).toHaveLength(3);
    expect(received).toEqual(
      expect.arrayContaining([
        {
          type: 'webhook.delivery.exhausted',
          timestamp: expect.any(String),
          data: expect.objectContaining({ eventId: failedEvent.id, eventType: 'job.failed', subscriptionId: failingSubscription.id, attempts: 2, lastStatusCode: 500 }),
        },
        {
          type: 'webhook.delivery.exhausted',
          timestamp: expect.any(String),
          data: expect.objectContaining({ eventId: goneEvent.id, subscriptionId: goneSubscription.id, attempts: 1, reason: 'gone' }),
        },
        {
          type: 'webhook.subscription.disabled',
          timestamp: expect.any(String),
          data: expect.objectContaining({ subscriptionId: goneSubscription.id, reason: 'endpoint_gone', url: gone.url }),
        },
      ]),
    );
  });

  it('refuses to publish the reserved webhook.* types and to recover a disabled subscription', async () => {
    // Prepare
    const gone = await receiver(() => ({ status: 410 }));
    const subscription = await subscribe(gone.url, ['cleanup.done']);
    await publish('cleanup.done', {});
    await pipeline.drain({ until: () => gone.requests.length >= 1 });
    await pipeline.drain();

    // Act
    const reserved = await pipeline.call('POST', '/v1/events', { key, body: { type: 'webhook.delivery.exhausted', data: {} } });
    const recovery = await pipeline.call('POST', `/v1/subscriptions/${subscription.id}/recover`, {
      key,
      body: { since: new Date(Date.now() - 60_000).toISOString() },
    });
    const badWindow = await pipeline.call('POST', `/v1/subscriptions/${subscription.id}/recover`, {
      key,
      body: { since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' },
    });

    const futureWindow = await pipeline.call('POST', `/v1/subscriptions/${subscription.id}/recover`, {
      key,
      body: { since: new Date(Date.now() + 3_600_000).toISOString() },
    });

    // Assess
    expect(futureWindow.status).toBe(422);
    expect(reserved.status).toBe(422);
    expect(reserved.body.error.code).toBe('reserved_event_type');
    expect(recovery.status).toBe(409);
    expect(recovery.body.error.code).toBe('subscription_disabled');
    expect(badWindow.status).toBe(422);
  });

  it('holds a subscription to its rate across the batch without spending attempts', async () => {
    // Prepare
    const target = await receiver();
    const created = await pipeline.call('POST', '/v1/subscriptions', {
      key,
      body: { url: target.url, eventTypes: ['tick'], rateLimitPerSecond: 2 },
    });
    const events: string[] = [];

    // Act
    for (let i = 0; i < 8; i++) events.push((await pipeline.call('POST', '/v1/events', { key, body: { type: 'tick', data: { i } } })).body.id);
    await pipeline.drain({ until: () => target.requests.length >= 8, timeoutMs: 30_000 });

    // Assess
    const perSecond = new Map<number, number>();
    for (const request of target.requests) {
      const second = Math.floor(request.receivedAt / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    // The limit counts attempts in the second the delivery handler admits them (2 each): the 8 are
    // admitted over at least 4 seconds, so they reach the receiver over more than 2 s. Arrival
    // times also carry each request's own delay, so a second of the receiver's clock may see the
    // admissions of two; without the limit all 8 arrive together.
    const arrivals = target.requests.map((request) => request.receivedAt);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThan(1_500);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(4);
    expect(perSecond.size).toBeGreaterThanOrEqual(3);
    const log = await pipeline.call('GET', `/v1/subscriptions/${created.body.id}/deliveries?limit=100`, { key });
    expect(log.body.items.map((d: { attempts: number; status: string }) => [d.status, d.attempts])).toEqual(
      events.map(() => ['delivered', 1]),
    );
  });
});
