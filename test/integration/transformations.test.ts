import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, ReceiverPool } from '../support/receiver';
import { LOCAL_DELIVERY, type Pipeline, startPipeline } from '../support/pipeline';

const RUNAWAY = '($loop := function($n) { $loop($n + 1) }; $loop(0))';

describe('Transformations through the pipeline', () => {
  let pipeline: Pipeline;
  let key: string;
  const receivers = new ReceiverPool();

  const subscribe = async (url: string, transformation?: string) => {
    const created = await pipeline.call('POST', '/v1/subscriptions', {
      key,
      body: { url, eventTypes: ['order.*'], ...(transformation === undefined ? {} : { transformation }) },
    });
    expect(created.status).toBe(201);
    return created.body as { id: string; secret: string; transformation?: string };
  };

  beforeAll(async () => {
    pipeline = await startPipeline({ ...LOCAL_DELIVERY, WEBHOOK_RETRY_SCHEDULE: '1,1' });
    key = await pipeline.createKey('shapes');
  });

  afterAll(receivers.closeAll);

  it('sends the transformed body, signed, and records a runaway or cancelling transformation without a request, the rest of the group delivered', async () => {
    // Prepare
    const shapedReceiver = await receivers.start();
    const plainReceiver = await receivers.start();
    const runawayReceiver = await receivers.start();
    const cancelReceiver = await receivers.start();
    const shaped = await subscribe(shapedReceiver.url, '{"order": data.orderId, "kind": type, "lines": $count(data.lines)}');
    const plain = await subscribe(plainReceiver.url);
    const runaway = await subscribe(runawayReceiver.url, RUNAWAY);
    const cancelling = await subscribe(cancelReceiver.url, 'data.total > 100 ? $ : undefined');

    // Act
    const published = await pipeline.publish(key, 'order.created', { orderId: 'ord_7', total: 12, lines: [1, 2] });
    await pipeline.drain({ until: () => shapedReceiver.requests.length + plainReceiver.requests.length >= 2 });
    await pipeline.drain();

    // Assess
    expect(shaped.transformation).toContain('data.orderId');
    expect(shapedReceiver.requests).toHaveLength(1);
    expect(shapedReceiver.requests[0]!.body).toBe('{"order":"ord_7","kind":"order.created","lines":2}');
    expect(Receiver.verify(shapedReceiver.requests[0]!, shaped.secret)).toEqual({ order: 'ord_7', kind: 'order.created', lines: 2 });
    expect(Receiver.verify(plainReceiver.requests[0]!, plain.secret)).toEqual({
      type: 'order.created',
      timestamp: published.createdAt,
      data: { orderId: 'ord_7', total: 12, lines: [1, 2] },
    });
    expect(runawayReceiver.requests).toHaveLength(0);
    expect(cancelReceiver.requests).toHaveLength(0);

    const deliveries = await pipeline.call('GET', `/v1/events/${published.id}/deliveries`, { key });
    const bySubscription = new Map((deliveries.body.items as Array<{ subscriptionId: string }>).map((item) => [item.subscriptionId, item]));
    expect(bySubscription.get(shaped.id)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(bySubscription.get(plain.id)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(bySubscription.get(runaway.id)).toMatchObject({
      status: 'exhausted',
      attempts: 0,
      attemptLog: [],
      reason: 'transformation_failed',
      error: expect.stringMatching(/^(time|depth) limit: /),
    });
    expect(bySubscription.get(cancelling.id)).toMatchObject({ status: 'skipped', attempts: 0, attemptLog: [], reason: 'cancelled_by_transformation' });
  });

  it('refuses a transformation that does not compile or holds a regular expression with its position, and removes one with null', async () => {
    // Prepare
    const target = await receivers.start();
    const subscription = await subscribe(target.url, '$.data');

    // Act
    const invalid = await pipeline.call('POST', '/v1/subscriptions', { key, body: { url: target.url, eventTypes: ['*'], transformation: '{"a": ' } });
    const withRegex = await pipeline.call('PATCH', `/v1/subscriptions/${subscription.id}`, { key, body: { transformation: '$match(data.id, /(a+)+$/)' } });
    const removed = await pipeline.call('PATCH', `/v1/subscriptions/${subscription.id}`, { key, body: { transformation: null } });

    // Assess
    expect(invalid.status).toBe(422);
    expect(invalid.body).toEqual({ error: { code: 'invalid_transformation', message: expect.stringContaining('does not compile'), position: 6 } });
    expect(withRegex.status).toBe(422);
    expect(withRegex.body).toEqual({
      error: { code: 'invalid_transformation', message: expect.stringMatching(/^the transformation is refused: regular expressions are not supported .* use the string forms/), position: 24 },
    });
    expect(removed.status).toBe(200);
    expect(removed.body.transformation).toBeUndefined();
  });

  it('answers a dry run with the body a subscription would receive, a cancellation, or the failure', async () => {
    // Prepare
    const target = await receivers.start();
    const subscription = await subscribe(target.url, '{"id": data.id}');
    const stored = await pipeline.publish(key, 'order.paid', { id: 9 });
    const event = { type: 'order.created', data: { id: 1 } };

    // Act
    const ofStored = await pipeline.call('POST', `/v1/subscriptions/${subscription.id}/transform`, { key, body: { eventId: stored.id } });
    const tried = await pipeline.call('POST', `/v1/subscriptions/${subscription.id}/transform`, { key, body: { event, transformation: 'type' } });
    const cancelled = await pipeline.call('POST', '/v1/transform', { key, body: { event, transformation: 'data.missing' } });
    const failed = await pipeline.call('POST', '/v1/transform', { key, body: { event, transformation: '[1..10000000]' } });
    const otherTenant = await pipeline.call('POST', `/v1/subscriptions/${subscription.id}/transform`, {
      key: await pipeline.createKey('someone-else'),
      body: { event },
    });

    // Assess
    expect(ofStored).toMatchObject({ status: 200, text: '{"cancelled":false,"body":{"id":9}}' });
    expect(tried.body).toEqual({ cancelled: false, body: 'order.created' });
    expect(cancelled.body).toEqual({ cancelled: true });
    expect(failed.status).toBe(422);
    expect(failed.body.error).toEqual({ code: 'transformation_failed', message: expect.stringContaining('sequence limit') });
    expect(otherTenant.status).toBe(404);
  });
});
