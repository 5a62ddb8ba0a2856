import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/core/resource-env';
import { newId } from '../../lambdas/core/ids';
import { localClients } from '../support/emulators';
import { Receiver, ReceiverPool, type Responder } from '../support/receiver';
import { startPipeline, type Pipeline } from '../support/pipeline';

describe('Delivery outcomes against the emulators', () => {
  let pipeline: Pipeline;
  let key: string;
  const receivers = new ReceiverPool();
  const receiver = (responder?: Responder) => receivers.start(responder);

  const subscribe = (url: string, eventTypes = ['*']) => pipeline.subscribe(key, url, eventTypes);
  const publish = (type: string, data: unknown, headers: Record<string, string> = {}) => pipeline.publish(key, type, data, headers);

  const deliveryOf = async (eventId: string, subscriptionId: string) => {
    const response = await pipeline.call('GET', `/v1/subscriptions/${subscriptionId}/deliveries`, { key });
    return (response.body.items as Array<{ eventId: string; status: string; attempts: number; attemptLog: Array<{ at: string; statusCode?: number; reason?: string }> }>).find(
      (item) => item.eventId === eventId,
    );
  };

  beforeAll(async () => {
    pipeline = await startPipeline({
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
      WEBHOOK_RETRY_SCHEDULE: '2,2',
    });
    key = await pipeline.createKey('outcomes');
  });

  afterAll(receivers.closeAll);

  it('retries a failing receiver at the scheduled delays and records it exhausted after the last attempt', async () => {
    // Prepare
    const failing = await receiver(() => ({ status: 500, body: 'database is down' }));
    const subscription = await subscribe(failing.url, ['payment.failed']);

    // Act
    const event = await publish('payment.failed', { id: 1 });
    await pipeline.drain({ until: () => failing.requests.length >= 3, timeoutMs: 30_000 });
    await pipeline.drain({ timeoutMs: 5_000 });

    // Assess
    expect(failing.requests).toHaveLength(3);
    expect(new Set(failing.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([event.id]));
    const gaps = failing.requests.slice(1).map((r, i) => r.receivedAt - failing.requests[i]!.receivedAt);
    // 2 s steps with +-20% jitter: never earlier than 1.6 s after the previous attempt.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1_500);
    const delivery = await deliveryOf(event.id, subscription.id);
    expect(delivery).toMatchObject({ status: 'exhausted', attempts: 3 });
    expect(delivery!.attemptLog.map((a) => a.statusCode)).toEqual([500, 500, 500]);
    expect(delivery!.attemptLog.map((a) => a.reason)).toEqual(['server_error', 'server_error', 'server_error']);
  });

  it('keeps the start of a failed attempt’s response and nothing of a successful one, a retry’s or a first attempt’s', async () => {
    // Prepare: bodies unique to this test, so they can be looked for anywhere in the delivery log
    const failureBody = `failure-body-${newId('key')}`;
    const successBody = `success-body-${newId('key')}`;
    const retried = await receiver((_request, index) => (index === 0 ? { status: 500, body: failureBody } : { status: 200, body: successBody }));
    const atOnce = await receiver(() => ({ status: 200, body: successBody }));
    const retriedSubscription = await subscribe(retried.url, ['receipt.sent']);
    const atOnceSubscription = await subscribe(atOnce.url, ['receipt.sent']);

    // Act
    const event = await publish('receipt.sent', { id: 5 });
    await pipeline.drain({ until: () => retried.requests.length >= 2 && atOnce.requests.length >= 1, timeoutMs: 30_000 });
    await pipeline.drain();

    // Assess: through the API
    const listed = await pipeline.call('GET', `/v1/events/${event.id}/deliveries`, { key });
    type Attempt = { attempt: number; outcome: string; statusCode?: number; responseSnippet?: string };
    const deliveries = listed.body.items as Array<{ subscriptionId: string; status: string; attempts: number; attemptLog: Attempt[] }>;
    const retriedDelivery = deliveries.find((item) => item.subscriptionId === retriedSubscription.id);
    const atOnceDelivery = deliveries.find((item) => item.subscriptionId === atOnceSubscription.id);
    expect(retriedDelivery).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(retriedDelivery!.attemptLog).toHaveLength(2);
    expect(retriedDelivery!.attemptLog[0]).toMatchObject({ attempt: 1, outcome: 'failed', statusCode: 500, responseSnippet: failureBody });
    expect(retriedDelivery!.attemptLog[1]).toMatchObject({ attempt: 2, outcome: 'delivered', statusCode: 200 });
    expect(retriedDelivery!.attemptLog[1]).not.toHaveProperty('responseSnippet');
    expect(atOnceDelivery).toMatchObject({ status: 'delivered', attempts: 1, attemptLog: [{ attempt: 1, outcome: 'delivered', statusCode: 200 }] });
    expect(atOnceDelivery!.attemptLog[0]).not.toHaveProperty('responseSnippet');
    // ... and in the table itself: the failure's body is kept, the successes' bodies nowhere
    const { Items = [] } = await localClients().dynamo.send(new ScanCommand({ TableName: pipeline.env[ENV.deliveriesTable]!, ConsistentRead: true }));
    const stored = JSON.stringify(Items);
    expect(stored).toContain(failureBody);
    expect(stored).not.toContain(successBody);
  });

  it('disables the subscription on 410 Gone and stops delivering to it', async () => {
    // Prepare
    const gone = await receiver(() => ({ status: 410 }));
    const subscription = await subscribe(gone.url, ['user.deleted']);

    // Act
    const first = await publish('user.deleted', { id: 7 });
    await pipeline.drain();
    await publish('user.deleted', { id: 8 });
    await pipeline.drain();

    // Assess
    expect(gone.requests).toHaveLength(1);
    const current = await pipeline.call('GET', `/v1/subscriptions/${subscription.id}`, { key });
    expect(current.body).toMatchObject({ enabled: false, disabledReason: 'endpoint_gone' });
    expect(current.body.disabledAt).toEqual(expect.any(String));
    expect(await deliveryOf(first.id, subscription.id)).toMatchObject({ status: 'exhausted', attempts: 1 });

    const reenabled = await pipeline.call('PATCH', `/v1/subscriptions/${subscription.id}`, { key, body: { enabled: true } });
    expect(reenabled.body).toMatchObject({ enabled: true });
    expect(reenabled.body.disabledReason).toBeUndefined();
  });

  it('delivers an event posted twice with the same Idempotency-Key once', async () => {
    // Prepare
    const target = await receiver();
    await subscribe(target.url, ['invoice.paid']);

    // Act
    const first = await publish('invoice.paid', { amount: 10 }, { 'idempotency-key': 'invoice-10' });
    const second = await publish('invoice.paid', { amount: 10 }, { 'idempotency-key': 'invoice-10' });
    const conflict = await pipeline.call('POST', '/v1/events', {
      key,
      body: { type: 'invoice.paid', data: { amount: 11 } },
      headers: { 'idempotency-key': 'invoice-10' },
    });
    await pipeline.drain({ until: () => target.requests.length >= 1 });
    await pipeline.drain();

    // Assess
    // The repeat answers the same event; which subscriptions matched is said by the first answer only.
    const { matched, ...accepted } = first;
    expect(matched).toMatchObject({ count: 1 });
    expect(second).toEqual(accepted);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_conflict');
    expect(target.requests).toHaveLength(1);
  });

  it('replays an event to one subscription with the same webhook-id', async () => {
    // Prepare
    const target = await receiver();
    const subscription = await subscribe(target.url, ['ticket.closed']);
    const event = await publish('ticket.closed', { id: 3 });
    await pipeline.drain({ until: () => target.requests.length >= 1 });

    // Act
    const replay = await pipeline.call('POST', `/v1/events/${event.id}/replay`, { key, body: { subscriptionId: subscription.id } });
    await pipeline.drain({ until: () => target.requests.length >= 2 });

    // Assess
    expect(replay.status).toBe(202);
    expect(target.requests.map((r) => r.headers['webhook-id'])).toEqual([event.id, event.id]);
    expect(Receiver.verify(target.requests[1]!, subscription.secret)).toMatchObject({ data: { id: 3 } });
  });

  it('signs with both secrets during a rotation grace period', async () => {
    // Prepare
    const target = await receiver();
    const subscription = await subscribe(target.url, ['key.rotated']);

    // Act
    const rotated = await pipeline.call('POST', `/v1/subscriptions/${subscription.id}/rotate-secret`, { key });
    await publish('key.rotated', {});
    await pipeline.drain({ until: () => target.requests.length >= 1 });

    // Assess
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(subscription.secret);
    const request = target.requests[0]!;
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(() => Receiver.verify(request, subscription.secret)).not.toThrow();
    expect(() => Receiver.verify(request, rotated.body.secret)).not.toThrow();
  });
});
