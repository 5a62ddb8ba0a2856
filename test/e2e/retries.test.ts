import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from '../support/receiver';
import { call, startRuntime, waitForResponse, type StartedRuntime } from './local-runtime-process';

interface DeliveryItem {
  eventId: string;
  subscriptionId: string;
  status: string;
  attempts: number;
  attemptLog: Array<{ attempt: number; outcome: string; statusCode?: number; reason?: string }>;
}

/**
 * Retries through the local runtime, on a schedule of two one-second delays (three attempts):
 * the message's visibility timeout brings each retry, the delivery record counts the attempts.
 */
describe('Local runtime (npm start): retries with WEBHOOK_RETRY_SCHEDULE=1,1', () => {
  let runtime: StartedRuntime;
  const receivers: Receiver[] = [];

  const api = (method: string, path: string, body?: unknown) =>
    call(runtime.baseUrl, method, path, { key: runtime.apiKey, ...(body === undefined ? {} : { body }) });

  const receiver = async (...args: Parameters<typeof Receiver.start>) => {
    const started = await Receiver.start(...args);
    receivers.push(started);
    return started;
  };

  const subscribe = async (url: string, eventTypes: string[]) => {
    const response = await api('POST', '/v1/subscriptions', { url, eventTypes });
    expect(response.status, response.text).toBe(201);
    return response.body as { id: string; secret: string };
  };

  const publish = async (type: string, data: unknown) => {
    const response = await api('POST', '/v1/events', { type, data });
    expect(response.status, response.text).toBe(202);
    return response.body as { id: string; createdAt: string };
  };

  /** Polls the subscription's delivery log until the event's record reaches `status`. */
  const deliveryOnceSettled = async (subscriptionId: string, eventId: string, status: string): Promise<DeliveryItem> => {
    const response = await waitForResponse(
      () => api('GET', `/v1/subscriptions/${subscriptionId}/deliveries`),
      (answer) =>
        answer.status === 200 &&
        (answer.body.items as DeliveryItem[]).some((item) => item.eventId === eventId && item.status === status),
      { timeoutMs: 20_000, intervalMs: 250, description: `a ${status} delivery of ${eventId} to ${subscriptionId}` },
    );
    return (response.body.items as DeliveryItem[]).find((item) => item.eventId === eventId)!;
  };

  beforeAll(async () => {
    runtime = await startRuntime({ WEBHOOK_RETRY_SCHEDULE: '1,1' });
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    if (runtime === undefined) return; // it did not start: beforeAll has failed the file already
    const exit = await runtime.process.stop();
    expect(exit, runtime.process.describe()).toEqual({ code: 0, signal: null, forced: false });
  });

  it('makes three attempts at an endpoint that always answers 503, then records the delivery exhausted', async () => {
    // Prepare
    const failing = await receiver(() => ({ status: 503, body: 'busy' }));
    const subscription = await subscribe(failing.url, ['order.created']);

    // Act
    const event = await publish('order.created', { orderId: 1 });
    const delivery = await deliveryOnceSettled(subscription.id, event.id, 'exhausted');

    // Assess
    expect(delivery).toMatchObject({ eventId: event.id, subscriptionId: subscription.id, status: 'exhausted', attempts: 3 });
    expect(delivery.attemptLog.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
    for (const entry of delivery.attemptLog) {
      expect(entry).toMatchObject({ outcome: 'failed', statusCode: 503 });
    }
    expect(failing.requests).toHaveLength(3);
    expect(failing.requests.map((request) => request.headers['webhook-id'])).toEqual([event.id, event.id, event.id]);
    for (const request of failing.requests) {
      expect(Receiver.verify(request, subscription.secret)).toMatchObject({ type: 'order.created', data: { orderId: 1 } });
    }
    // The attempts are spread by the schedule (1 s each, +-20% jitter), not made back to back.
    const gaps = failing.requests.slice(1).map((request, i) => request.receivedAt - failing.requests[i]!.receivedAt);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(700);
  });

  it('delivers on the second attempt to an endpoint that fails once with 500', async () => {
    // Prepare
    const flaky = await receiver((_request, index) => (index === 0 ? { status: 500, body: 'oops' } : { status: 204 }));
    const subscription = await subscribe(flaky.url, ['invoice.paid']);

    // Act
    const event = await publish('invoice.paid', { invoiceId: 'inv-9' });
    const delivery = await deliveryOnceSettled(subscription.id, event.id, 'delivered');

    // Assess
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(delivery.attemptLog).toMatchObject([
      { attempt: 1, outcome: 'failed', statusCode: 500 },
      { attempt: 2, outcome: 'delivered', statusCode: 204 },
    ]);
    expect(flaky.requests).toHaveLength(2);
    expect(flaky.requests.map((request) => request.headers['webhook-id'])).toEqual([event.id, event.id]);
  });
});
