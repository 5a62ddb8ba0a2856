import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pollUntilReceived, startPipeline, type Pipeline } from '../support/pipeline';
import { Receiver, ReceiverPool } from '../support/receiver';

const HOUR_MS = 3_600_000;

/**
 * `webhook-timestamp` is the time of the attempt, not of the event (README, "What a subscriber
 * receives"): a receiver checks it against its own clock, so a retry hours after the event was
 * accepted must still verify. The test owns the clock: only Date is faked, from before the
 * handlers are imported (they keep a reference to Date.now), and it stands still until the test
 * moves it, so each attempt's send time is known exactly. Timers stay real: the retry's message
 * becomes visible again on the emulator's own clock.
 */
describe('Signing time of a retry', () => {
  let pipeline: Pipeline;
  const receivers = new ReceiverPool();
  /** When the event is accepted: a whole second plus some milliseconds, so rounding shows. */
  const acceptedAt = Math.floor(Date.now() / 1000) * 1000 + 250;

  beforeAll(async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(acceptedAt);
    pipeline = await startPipeline({
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
      WEBHOOK_RETRY_SCHEDULE: '1',
    });
  });

  afterAll(async () => {
    vi.useRealTimers();
    await receivers.closeAll();
  });

  it('stamps and signs a retry made hours after the event with the time it is sent, and it verifies then', async () => {
    // Prepare: a receiver that fails the first attempt
    const key = await pipeline.createKey('signing-time');
    const receiver = await receivers.start((_request, index) => ({ status: index === 0 ? 503 : 200 }));
    const subscription = await pipeline.subscribe(key, receiver.url, ['order.*']);
    const event = await pipeline.publish(key, 'order.created', { orderId: 9 });
    await pollUntilReceived(pipeline.delivery);
    expect(receiver.requests).toHaveLength(1);
    const first = receiver.requests[0]!;
    const firstVerified = Receiver.verify(first, subscription.secret);

    // Act: the retry comes up three hours (and a bit) later
    const retriedAt = acceptedAt + 3 * HOUR_MS + 17_750;
    vi.setSystemTime(retriedAt);
    await pollUntilReceived(pipeline.delivery);

    // Assess
    expect(event.createdAt).toBe(new Date(acceptedAt).toISOString());
    expect(first.headers['webhook-timestamp']).toBe(String(Math.floor(acceptedAt / 1000)));
    expect(receiver.requests).toHaveLength(2);
    const retry = receiver.requests[1]!;
    expect(retry.headers['webhook-id']).toBe(event.id);
    expect(retry.headers['webhook-timestamp']).toBe(String(Math.floor(retriedAt / 1000)));
    // Standard Webhooks refuses a timestamp five minutes away from the receiver's clock, now three hours on.
    const retryVerified = Receiver.verify(retry, subscription.secret);
    // The body still says when the event was accepted.
    expect(retryVerified).toEqual(firstVerified);
    expect(retryVerified).toEqual({ type: 'order.created', timestamp: event.createdAt, data: { orderId: 9 } });
  });
});
