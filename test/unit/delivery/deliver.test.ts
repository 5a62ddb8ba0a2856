import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { settingDefault } from '../../../lambdas/core/settings';
import { MAX_HISTORY, type Subscription } from '../../../lambdas/core/model';
import { MAX_RETRY_AFTER_SECONDS, MAX_VISIBILITY_SECONDS } from '../../../lambdas/core/retry-policy';
import { deliver, type Receipt } from '../../../lambdas/delivery/deliver';
import { BREAKER_TIMINGS, CircuitBreaker } from '../../../lambdas/delivery/circuit-breaker';
import { EndpointConcurrency } from '../../../lambdas/delivery/endpoint-concurrency';
import { EndpointHealthTracker } from '../../../lambdas/delivery/endpoint-health';
import {
  aDeliveryMessage,
  aDeliveryRecord,
  aSubscription,
  EVENT_ID,
  notSent,
  NOW,
  response,
  SUBSCRIPTION_ID,
  TENANT,
  transportError,
} from '../../kit/builders';
import { deliverDeps, InMemoryDeliveryStore, InMemoryEventStore, InMemorySubscriptionStore, ScriptedSender } from '../../kit/fakes';
import { expectBetween } from '../../kit/expectations';
import type { AttemptResult } from '../../../lambdas/core/outcome';

const DISABLE_AFTER_MS = 5 * 86400 * 1000;
const SCHEDULE = settingDefault('retrySchedule');
const RANDOM = 0.25;

const firstReceipt = (overrides: Partial<Receipt> = {}): Receipt => ({ receiveCount: 1, receivedAt: NOW, ...overrides });
const laterReceipt = (overrides: Partial<Receipt> = {}): Receipt => ({ receiveCount: 2, receivedAt: NOW, ...overrides });

const setUp = (options: { script?: AttemptResult[]; subscription?: Partial<Subscription>; now?: number } = {}) => {
  const subscriptions = new InMemorySubscriptionStore([
    aSubscription({ secrets: { current: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, ...options.subscription }),
  ]);
  const deliveries = new InMemoryDeliveryStore();
  const events = new InMemoryEventStore();
  const sender = new ScriptedSender(options.script ?? []);
  const emitted: Array<{ tenantId: string; type: string; data: Record<string, unknown>; dedupKey: string }> = [];
  const disabled = () => emitted.filter((e) => e.type === 'webhook.subscription.disabled');
  const now = () => options.now ?? NOW;
  const deps = deliverDeps(
    { subscriptions, deliveries, events, sender },
    {
      health: new EndpointHealthTracker(subscriptions, DISABLE_AFTER_MS),
      operationalEvents: { emit: async (tenantId, type, data, dedupKey) => void emitted.push({ tenantId, type, data, dedupKey }) },
      retrySchedule: SCHEDULE,
      now,
      random: () => RANDOM,
    },
  );
  const stored = () => deliveries.stored(TENANT, SUBSCRIPTION_ID, EVENT_ID);
  return { deps, subscriptions, deliveries, events, sender, disabled, emitted, stored };
};

describe('Function: deliver', () => {
  it('delivers on a 2xx: done/delivered, one record write, a signed request', async () => {
    // Prepare
    const { deps, deliveries, sender, stored } = setUp({ script: [response(200)] });

    // Act
    const decision = await deliver(aDeliveryMessage(), firstReceipt(), deps);

    // Assess
    expect(decision).toMatchObject({ action: 'done', status: 'delivered', attempt: { attempt: 1, outcome: 'delivered', statusCode: 200 } });
    expect(deliveries.calls.recordAttempt).toBe(1);
    expect(stored()).toMatchObject({ status: 'delivered', attempts: 1, run: EVENT_ID });
    expect(stored()?.nextAttemptAt).toBeUndefined();
    expect(stored()?.history).toHaveLength(1);
    expect(sender.requests).toHaveLength(1);
    const [request] = sender.requests;
    expect(request!.url).toBe('https://receiver.example.com/hooks');
    expect(request!.timeoutMs).toBe(15_000);
    expect(JSON.parse(request!.body)).toEqual({ type: 'order.created', timestamp: '2026-03-01T11:59:59.000Z', data: { orderId: 42 } });
    expect(request!.headers['webhook-id']).toBe(EVENT_ID);
    expect(request!.headers['webhook-timestamp']).toBe(String(NOW / 1000));
  });

  it.each([
    ['a 500', response(500), true],
    ['a timeout', transportError('timeout'), false],
  ])('lets the endpoint\'s line know whether it answered, after %s', async (_, result, answered) => {
    // Prepare: a line of 2 that sends 1 at once until the endpoint answers, going by the breaker's record
    const { deps, subscriptions } = setUp({ script: [result] });
    const breaker = new CircuitBreaker(subscriptions, { failureThreshold: settingDefault('circuitBreakerThreshold'), ...BREAKER_TIMINGS });
    deps.breaker = breaker;
    const line = new EndpointConcurrency(2, { untilAnswered: 1, answers: breaker.answers, now: deps.now });
    deps.concurrency = line;

    // Act
    await deliver(aDeliveryMessage(), firstReceipt(), deps);

    // Assess
    const places = [line.tryEnter(TENANT, SUBSCRIPTION_ID), line.tryEnter(TENANT, SUBSCRIPTION_ID)];
    expect(places).toEqual(answered ? [true, true] : [true, false]);
  });

  it('signs the request so the reference library verifies it', async () => {
    // Prepare: a real clock, because the reference verifier checks the timestamp against now
    const now = Date.now();
    const { deps, sender } = setUp({ script: [response(204)], now });

    // Act
    await deliver(aDeliveryMessage(), firstReceipt({ receivedAt: now }), deps);

    // Assess
    const [request] = sender.requests;
    expect(() => new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').verify(request!.body, request!.headers)).not.toThrow();
  });

  it('retries a 500 later: visibility is the jittered first delay, the record says retrying after 1 attempt', async () => {
    // Prepare
    const { deps, stored } = setUp({ script: [response(500, { bodySnippet: 'oops' })] });

    // Act
    const decision = await deliver(aDeliveryMessage(), firstReceipt(), deps);

    // Assess: the default schedule's first step is 5 s, +-20%
    expect(decision).toMatchObject({ action: 'retry_later', visibilitySeconds: expect.any(Number) });
    const delay = (decision as { visibilitySeconds: number }).visibilitySeconds;
    expectBetween(delay, 4, 6);
    expect(stored()).toMatchObject({
      status: 'retrying',
      attempts: 1,
      nextAttemptAt: new Date(NOW + delay * 1000).toISOString(),
    });
    expect(stored()?.history[0]).toMatchObject({ outcome: 'failed', reason: 'server_error', statusCode: 500, responseSnippet: 'oops' });
  });

  it('counts attempts from the record: a failed second attempt waits the second jittered delay', async () => {
    // Prepare
    const { deps, deliveries, stored } = setUp({ script: [response(503)] });
    deliveries.seed(aDeliveryRecord({ attempts: 1, nextAttemptAt: new Date(NOW - 1000).toISOString() }));

    // Act
    const decision = await deliver(aDeliveryMessage(), laterReceipt({ receiveCount: 5 }), deps);

    // Assess: the default schedule's second step is 300 s, +-20%
    expect(decision).toMatchObject({ action: 'retry_later', visibilitySeconds: expect.any(Number) });
    const delay = (decision as { visibilitySeconds: number }).visibilitySeconds;
    expectBetween(delay, 240, 360);
    expect(stored()).toMatchObject({ status: 'retrying', attempts: 2, nextAttemptAt: new Date(NOW + delay * 1000).toISOString() });
  });

  it('tells the metrics when the attempt was due, by the record of its run, and that the subscription is rate limited', async () => {
    // Prepare
    const dueAt = new Date(NOW - 1000).toISOString();
    const { deps, deliveries } = setUp({ script: [response(503)], subscription: { rateLimitPerSecond: 50 } });
    deliveries.seed(aDeliveryRecord({ attempts: 1, nextAttemptAt: dueAt }));

    // Act
    const decision = await deliver(aDeliveryMessage(), laterReceipt({ receiveCount: 2 }), deps);

    // Assess
    expect(decision).toMatchObject({ action: 'retry_later', dueAt, rateLimited: true, attempt: { attempt: 2 } });
    expect(decision).not.toHaveProperty('disabledSubscription');
  });

  it('takes no due time from the record of an earlier run', async () => {
    // Prepare
    const { deps, deliveries } = setUp({ script: [response(200)] });
    deliveries.seed(aDeliveryRecord({ run: 'run_1', attempts: 3, nextAttemptAt: new Date(NOW - 1000).toISOString() }));

    // Act
    const decision = await deliver(aDeliveryMessage({ run: 'run_2' }), laterReceipt(), deps);

    // Assess
    expect(decision).toMatchObject({ action: 'done', status: 'delivered', attempt: { attempt: 1 } });
    expect(decision).not.toHaveProperty('dueAt');
    expect(decision).not.toHaveProperty('rateLimited');
  });

  it('records exhausted and deletes the message when the last attempt fails', async () => {
    // Prepare
    const { deps, deliveries, stored } = setUp({ script: [transportError('timeout')] });
    deliveries.seed(aDeliveryRecord({ attempts: SCHEDULE.length, nextAttemptAt: new Date(NOW).toISOString() }));

    // Act
    const decision = await deliver(aDeliveryMessage(), laterReceipt({ receiveCount: 9 }), deps);

    // Assess
    expect(decision).toMatchObject({ action: 'done', status: 'exhausted', attempt: { attempt: SCHEDULE.length + 1, reason: 'timeout' } });
    expect(stored()).toMatchObject({ status: 'exhausted', attempts: SCHEDULE.length + 1 });
    expect(stored()?.nextAttemptAt).toBeUndefined();
  });

  it('disables the subscription on a 410 and records exhausted', async () => {
    // Prepare
    const { deps, disabled, subscriptions, stored } = setUp({ script: [response(410)] });

    // Act
    const decision = await deliver(aDeliveryMessage(), firstReceipt(), deps);

    // Assess
    expect(decision).toMatchObject({ action: 'done', status: 'exhausted', disabledSubscription: true });
    expect(disabled()).toEqual([
      expect.objectContaining({ tenantId: TENANT, data: expect.objectContaining({ subscriptionId: SUBSCRIPTION_ID, reason: 'endpoint_gone' }) }),
    ]);
    expect(await subscriptions.get({ tenantId: TENANT }, SUBSCRIPTION_ID)).toMatchObject({ enabled: false, disabledReason: 'endpoint_gone' });
    expect(stored()).toMatchObject({ status: 'exhausted', attempts: 1 });
    expect(stored()?.history[0]?.reason).toBe('gone');
  });

  it('fails permanently, without disabling, when the target is refused by the SSRF guard', async () => {
    // Prepare
    const { deps, disabled, stored } = setUp({ script: [transportError('blocked_target')] });

    // Act
    const decision = await deliver(aDeliveryMessage(), firstReceipt(), deps);

    // Assess
    expect(decision).toMatchObject({ action: 'done', status: 'exhausted' });
    expect(disabled()).toHaveLength(0);
    expect(stored()).toMatchObject({ status: 'exhausted', attempts: 1 });
  });

  it('follows a 429 Retry-After longer than the schedule', async () => {
    // Prepare
    const { deps, stored } = setUp({ script: [response(429, { retryAfter: '3600' })] });

    // Act
    const decision = await deliver(aDeliveryMessage(), firstReceipt(), deps);

    // Assess
    expect(decision).toMatchObject({ action: 'retry_later', visibilitySeconds: 3600 });
    expect(stored()?.nextAttemptAt).toBe(new Date(NOW + 3600_000).toISOString());
  });

  it('caps a huge Retry-After at its bound', async () => {
    // Prepare
    const { deps } = setUp({ script: [response(503, { retryAfter: String(30 * 86400) })] });

    // Act
    const decision = await deliver(aDeliveryMessage(), firstReceipt(), deps);

    // Assess
    expect(decision).toMatchObject({ action: 'retry_later', visibilitySeconds: MAX_RETRY_AFTER_SECONDS });
  });

  it('keeps the schedule when a Retry-After is shorter, or comes with a non-throttling status', async () => {
    // Prepare
    const shorter = setUp({ script: [response(429, { retryAfter: '1' })] });
    const on500 = setUp({ script: [response(500, { retryAfter: '3600' })] });

    // Act
    const shorterDecision = await deliver(aDeliveryMessage(), firstReceipt(), shorter.deps);
    const on500Decision = await deliver(aDeliveryMessage(), firstReceipt(), on500.deps);

    // Assess: both wait the default schedule's first step, 5 s +-20%
    for (const decision of [shorterDecision, on500Decision]) {
      expect(decision).toMatchObject({ action: 'retry_later', visibilitySeconds: expect.any(Number) });
      expectBetween((decision as { visibilitySeconds: number }).visibilitySeconds, 4, 6);
    }
  });

  it('caps the visibility below 12 h minus the time since the receive, keeping the full delay in the record', async () => {
    // Prepare: a 36000 s step with +20% jitter is 43200 s, beyond what SQS allows
    const { deps, deliveries, stored } = setUp({ script: [response(500)] });
    deps.random = () => 0.999999;
    deliveries.seed(aDeliveryRecord({ attempts: 5, nextAttemptAt: new Date(NOW).toISOString() }));
    const receivedAt = NOW - 20_000;

    // Act
    const decision = await deliver(aDeliveryMessage(), laterReceipt({ receivedAt }), deps);

    // Assess
    expect(decision.action).toBe('retry_later');
    if (decision.action !== 'retry_later') return;
    expect(decision.visibilitySeconds + 20).toBeLessThan(MAX_VISIBILITY_SECONDS);
    expect(Date.parse(stored()!.nextAttemptAt!) - NOW).toBe(43_200_000);
  });

  it('defers without sending when the record says the next attempt is not due yet', async () => {
    // Prepare
    const { deps, deliveries, sender } = setUp();
    deliveries.seed(aDeliveryRecord({ attempts: 3, nextAttemptAt: new Date(NOW + 600_000).toISOString() }));

    // Act
    const decision = await deliver(aDeliveryMessage(), laterReceipt(), deps);

    // Assess
    expect(decision).toEqual({ action: 'retry_later', visibilitySeconds: 600 });
    expect(sender.requests).toHaveLength(0);
    expect(deliveries.calls.recordAttempt).toBe(0);
  });

  it('defers a message that came back early after a capped visibility, again within the 12 h window', async () => {
    // Prepare
    const { deps, deliveries, sender } = setUp();
    deliveries.seed(aDeliveryRecord({ attempts: 6, nextAttemptAt: new Date(NOW + 50_000_000).toISOString() }));

    // Act
    const decision = await deliver(aDeliveryMessage(), laterReceipt({ receivedAt: NOW - 5000 }), deps);

    // Assess
    expect(decision.action).toBe('retry_later');
    if (decision.action !== 'retry_later') return;
    expect(decision.visibilitySeconds + 5).toBeLessThan(MAX_VISIBILITY_SECONDS);
    expect(sender.requests).toHaveLength(0);
  });

  it('attempts a message that is due within the slack instead of hiding it for a moment', async () => {
    // Prepare
    const { deps, deliveries, sender } = setUp({ script: [response(200)] });
    deliveries.seed(aDeliveryRecord({ attempts: 1, nextAttemptAt: new Date(NOW + 500).toISOString() }));

    // Act
    const decision = await deliver(aDeliveryMessage(), laterReceipt(), deps);

    // Assess
    expect(decision).toMatchObject({ action: 'done', status: 'delivered' });
    expect(sender.requests).toHaveLength(1);
  });

  it.each(['delivered', 'exhausted', 'skipped'] as const)(
    'answers done/duplicate without sending for a redelivered message whose record is %s',
    async (status) => {
      // Prepare
      const { deps, deliveries, sender } = setUp();
      deliveries.seed(aDeliveryRecord({ status, attempts: 1 }));

      // Act
      const decision = await deliver(aDeliveryMessage(), laterReceipt(), deps);

      // Assess
      expect(decision).toEqual({ action: 'done', status: 'duplicate' });
      expect(sender.requests).toHaveLength(0);
      expect(deliveries.calls.recordAttempt).toBe(0);
    },
  );

  it('answers done/duplicate without sending when a newer run (a replay) owns the record', async () => {
    // Prepare
    const { deps, deliveries, sender } = setUp();
    deliveries.seed(aDeliveryRecord({ run: 'run_01JNKQ0000000000000000000C', status: 'retrying', attempts: 1 }));

    // Act
    const decision = await deliver(aDeliveryMessage(), laterReceipt(), deps);

    // Assess
    expect(decision).toEqual({ action: 'done', status: 'duplicate' });
    expect(sender.requests).toHaveLength(0);
  });

  it('starts a replay at attempt 1 over an exhausted earlier run', async () => {
    // Prepare
    const { deps, deliveries, stored } = setUp({ script: [response(200)] });
    deliveries.seed(aDeliveryRecord({ status: 'exhausted', attempts: 8 }));
    const run = 'run_01JNKQ0000000000000000000D';

    // Act
    const decision = await deliver(aDeliveryMessage({ run }), firstReceipt(), deps);

    // Assess
    expect(decision).toMatchObject({ action: 'done', status: 'delivered', attempt: { attempt: 1 } });
    expect(stored()).toMatchObject({ run, status: 'delivered', attempts: 1 });
  });

  it('skips without sending when the subscription is disabled, and records skipped', async () => {
    // Prepare
    const { deps, sender, stored } = setUp({ subscription: { enabled: false } });

    // Act
    const decision = await deliver(aDeliveryMessage(), firstReceipt(), deps);

    // Assess
    expect(decision).toEqual({ action: 'done', status: 'skipped' });
    expect(sender.requests).toHaveLength(0);
    expect(stored()).toMatchObject({ status: 'skipped', attempts: 0 });
  });

  it('answers subscription_gone without sending or writing when the subscription was deleted', async () => {
    // Prepare
    const { deps, subscriptions, sender, deliveries } = setUp();
    await subscriptions.delete({ tenantId: TENANT }, SUBSCRIPTION_ID);

    // Act
    const decision = await deliver(aDeliveryMessage(), firstReceipt(), deps);

    // Assess
    expect(decision).toEqual({ action: 'done', status: 'subscription_gone' });
    expect(sender.requests).toHaveLength(0);
    expect(deliveries.calls.recordAttempt).toBe(0);
  });

  it('reads data that did not ride inline from the event store', async () => {
    // Prepare
    const { deps, events, sender } = setUp({ script: [response(200)] });
    await events.putEvent({ tenantId: TENANT, id: EVENT_ID, type: 'order.created', dataJson: '{"big":true}', createdAt: '2026-03-01T11:59:59.000Z', expiresAt: 0 });
    const { dataJson: _data, ...message } = aDeliveryMessage({ hasData: false });

    // Act
    await deliver(message, firstReceipt(), deps);

    // Assess
    expect(JSON.parse(sender.requests[0]!.body).data).toEqual({ big: true });
  });

  it('answers event_gone without sending when non-inline data has expired from the event store', async () => {
    // Prepare
    const { deps, sender } = setUp();
    const { dataJson: _data, ...message } = aDeliveryMessage({ hasData: false });

    // Act
    const decision = await deliver(message, firstReceipt(), deps);

    // Assess
    expect(decision).toEqual({ action: 'done', status: 'event_gone' });
    expect(sender.requests).toHaveLength(0);
  });

  it('keeps at most MAX_HISTORY attempts in the record, newest last', async () => {
    // Prepare
    const { deps, deliveries, stored } = setUp({ script: [response(200)] });
    const history = Array.from({ length: MAX_HISTORY }, (_, i) => ({
      attempt: i + 1,
      at: new Date(NOW - 1000).toISOString(),
      outcome: 'failed' as const,
      durationMs: 1,
    }));
    deps.retrySchedule = Array.from({ length: 30 }, () => 1);
    deliveries.seed(aDeliveryRecord({ attempts: MAX_HISTORY, history, nextAttemptAt: new Date(NOW).toISOString() }));

    // Act
    await deliver(aDeliveryMessage(), laterReceipt(), deps);

    // Assess
    expect(stored()?.history).toHaveLength(MAX_HISTORY);
    expect(stored()?.history.at(-1)).toMatchObject({ attempt: MAX_HISTORY + 1, outcome: 'delivered' });
  });

  describe('when another receive records first (conflict)', () => {
    it('follows a winner that delivered: done/duplicate', async () => {
      // Prepare
      const { deps, deliveries, stored } = setUp({ script: [response(500)] });
      deliveries.beforeRecordAttempt = () => deliveries.seed(aDeliveryRecord({ status: 'delivered', attempts: 1 }));

      // Act
      const decision = await deliver(aDeliveryMessage(), firstReceipt(), deps);

      // Assess
      expect(decision).toEqual({ action: 'done', status: 'duplicate' });
      expect(deliveries.calls.conflicts).toBe(1);
      expect(stored()).toMatchObject({ status: 'delivered', attempts: 1 });
    });

    it("follows a retrying winner: comes back when the winner's next attempt is due", async () => {
      // Prepare
      const { deps, deliveries, stored } = setUp({ script: [response(500)] });
      deliveries.beforeRecordAttempt = () =>
        deliveries.seed(aDeliveryRecord({ status: 'retrying', attempts: 1, nextAttemptAt: new Date(NOW + 120_000).toISOString() }));

      // Act
      const decision = await deliver(aDeliveryMessage(), firstReceipt(), deps);

      // Assess
      expect(decision).toEqual({ action: 'retry_later', visibilitySeconds: 120 });
      expect(stored()?.nextAttemptAt).toBe(new Date(NOW + 120_000).toISOString());
    });

    it("keeps the visibility below 12 h minus the time since the receive when the winner's next attempt is far away", async () => {
      // Prepare: the winner waits a 36000 s step with +20% jitter
      const { deps, deliveries } = setUp({ script: [response(500)] });
      deliveries.seed(aDeliveryRecord({ attempts: 5, nextAttemptAt: new Date(NOW).toISOString() }));
      deliveries.beforeRecordAttempt = () =>
        deliveries.seed(aDeliveryRecord({ status: 'retrying', attempts: 6, nextAttemptAt: new Date(NOW + 43_200_000).toISOString() }));
      const receivedAt = NOW - 30_000;

      // Act
      const decision = await deliver(aDeliveryMessage(), laterReceipt({ receivedAt }), deps);

      // Assess
      expect(decision.action).toBe('retry_later');
      if (decision.action !== 'retry_later') return;
      expect(decision.visibilitySeconds).toBeGreaterThan(0);
      expect(decision.visibilitySeconds + 30).toBeLessThan(MAX_VISIBILITY_SECONDS);
    });

    it('answers done/duplicate when a replay took the record over', async () => {
      // Prepare
      const { deps, deliveries } = setUp({ script: [response(200)] });
      deliveries.beforeRecordAttempt = () => deliveries.seed(aDeliveryRecord({ run: 'run_01JNKQ0000000000000000000E', status: 'retrying' }));

      // Act
      const decision = await deliver(aDeliveryMessage(), firstReceipt(), deps);

      // Assess
      expect(decision).toEqual({ action: 'done', status: 'duplicate' });
    });
  });

  describe('operational events', () => {
    it('publishes webhook.delivery.exhausted once the last attempt fails', async () => {
      // Prepare
      const { deps, emitted } = setUp({ script: [response(500)] });
      const lastAttempt = aDeliveryRecord({ attempts: SCHEDULE.length, nextAttemptAt: new Date(NOW - 1000).toISOString() });
      await deps.deliveries.recordAttempt(lastAttempt, 0);

      // Act
      const decision = await deliver(aDeliveryMessage(), laterReceipt(), deps);

      // Assess
      expect(decision).toMatchObject({ action: 'done', status: 'exhausted' });
      expect(emitted).toEqual([
        expect.objectContaining({
          type: 'webhook.delivery.exhausted',
          data: expect.objectContaining({ eventId: EVENT_ID, subscriptionId: SUBSCRIPTION_ID, attempts: SCHEDULE.length + 1, lastStatusCode: 500 }),
        }),
      ]);
    });

    it('never reports the exhaustion of an operational event, so a failing receiver of them cannot loop', async () => {
      // Prepare
      const { deps, emitted } = setUp({ script: [transportError('blocked_target')] });

      // Act
      const decision = await deliver(aDeliveryMessage({ eventType: 'webhook.delivery.exhausted' }), firstReceipt(), deps);

      // Assess: it was exhausted, and nothing reported it.
      expect(decision).toMatchObject({ action: 'done', status: 'exhausted' });
      expect(emitted).toEqual([]);
    });

    it('disables an endpoint failing for the whole period, ends the delivery and reports both', async () => {
      // Prepare
      const { deps, emitted, subscriptions, stored } = setUp({
        script: [response(500)],
        subscription: { failingSince: new Date(NOW - DISABLE_AFTER_MS).toISOString() },
      });

      // Act
      const decision = await deliver(aDeliveryMessage(), firstReceipt(), deps);

      // Assess
      expect(decision).toMatchObject({ action: 'done', status: 'exhausted' });
      expect(stored()).toMatchObject({ status: 'exhausted', attempts: 1 });
      expect(await subscriptions.get({ tenantId: TENANT }, SUBSCRIPTION_ID)).toMatchObject({ enabled: false, disabledReason: 'failing_too_long' });
      expect(emitted.map((e) => e.type)).toEqual(['webhook.subscription.disabled', 'webhook.delivery.exhausted']);
    });
  });

  describe('rate limits', () => {
    it('defers a delivery over the subscription limit without sending, recording or counting an attempt', async () => {
      // Prepare
      const { deps, sender, deliveries } = setUp({ script: [response(200), response(200)], subscription: { rateLimitPerSecond: 1 } });
      await deliver(aDeliveryMessage(), firstReceipt(), deps);

      // Act
      const decision = await deliver(aDeliveryMessage({ eventId: 'evt_01HZZZZZZZZZZZZZZZZZZZZZZ2', run: 'evt_01HZZZZZZZZZZZZZZZZZZZZZZ2' }), firstReceipt(), deps);

      // Assess
      expect(decision).toMatchObject({ action: 'retry_later', deferred: 'rate_limited' });
      expect(decision.action === 'retry_later' && decision.visibilitySeconds).toBeGreaterThanOrEqual(1);
      expect(sender.requests).toHaveLength(1);
      expect(deliveries.calls.recordAttempt).toBe(1);
    });
  });

  describe('requests that never left', () => {
    it.each(['pool_wait', 'aborted'] as const)('defers a delivery the sender returned not_sent (%s) without counting or recording an attempt', async (reason) => {
      // Prepare: a retry is due; the sender finds no free connection in time.
      const { deps, deliveries, stored } = setUp({ script: [notSent(reason)] });
      await deliveries.recordAttempt(aDeliveryRecord({ attempts: 2, nextAttemptAt: new Date(NOW).toISOString() }), 0);

      // Act
      const decision = await deliver(aDeliveryMessage(), laterReceipt(), deps);

      // Assess: back in 2 to 4 s, the record untouched.
      expect(decision).toMatchObject({ action: 'retry_later', deferred: reason });
      expect(decision.action === 'retry_later' && decision.visibilitySeconds).toBeGreaterThanOrEqual(2);
      expect(decision.action === 'retry_later' && decision.visibilitySeconds).toBeLessThanOrEqual(4);
      expect(decision.attempt).toBeUndefined();
      expect(stored()).toMatchObject({ attempts: 2, status: 'retrying' });
    });

    it('logs whether each attempt put its request on the wire', async () => {
      // Prepare
      const { deps, stored } = setUp({ script: [transportError('connection', 'connect ECONNREFUSED', false)] });

      // Act
      await deliver(aDeliveryMessage(), firstReceipt(), deps);

      // Assess
      expect(stored()?.history).toEqual([expect.objectContaining({ attempt: 1, reason: 'connection', requestSent: false })]);
    });
  });

  describe('endpoint isolation', () => {
    it('defers a delivery whose endpoint circuit is open without reading its record or sending', async () => {
      // Prepare: the circuit opened a second ago; its first probe is due in 4 s.
      const { deps, sender, deliveries } = setUp({
        script: [response(200)],
        subscription: {
          circuitOpenedAt: new Date(NOW - 1_000).toISOString(),
          circuitNextProbeAt: new Date(NOW + 4_000).toISOString(),
          circuitProbeSeconds: 5,
          circuitFailures: 5,
        },
      });

      // Act
      const decision = await deliver(aDeliveryMessage(), laterReceipt(), deps);

      // Assess: back after the probe (4 s, spread over its 5 s interval), nothing read or sent.
      expect(decision).toMatchObject({ action: 'retry_later', deferred: 'circuit_open' });
      expect(decision.action === 'retry_later' && decision.visibilitySeconds).toBeGreaterThanOrEqual(4);
      expect(decision.action === 'retry_later' && decision.visibilitySeconds).toBeLessThanOrEqual(9);
      expect(sender.requests).toHaveLength(0);
      expect(deliveries.calls.get).toBe(0);
    });

    it('makes the probe when it is due, and the answer closes the circuit', async () => {
      // Prepare
      const { deps, sender, subscriptions } = setUp({
        script: [response(200)],
        subscription: {
          circuitOpenedAt: new Date(NOW - 10_000).toISOString(),
          circuitNextProbeAt: new Date(NOW).toISOString(),
          circuitProbeSeconds: 5,
          circuitFailures: 5,
        },
      });

      // Act
      const decision = await deliver(aDeliveryMessage(), firstReceipt(), deps);

      // Assess
      expect(decision).toMatchObject({ action: 'done', status: 'delivered', circuit: 'closed' });
      expect(sender.requests).toHaveLength(1);
      expect((await subscriptions.get({ tenantId: TENANT }, SUBSCRIPTION_ID))?.circuitOpenedAt).toBeUndefined();
    });

    it('opens the circuit at the fifth attempt in a row without an answer and says so', async () => {
      // Prepare: four unanswered attempts counted already.
      const { deps } = setUp({
        script: [transportError('timeout')],
        subscription: { circuitFailures: 4, circuitCountingSince: new Date(NOW - 60_000).toISOString() },
      });

      // Act
      const decision = await deliver(aDeliveryMessage(), firstReceipt(), deps);

      // Assess
      expect(decision).toMatchObject({ action: 'retry_later', circuit: 'opened' });
    });
  });
});
