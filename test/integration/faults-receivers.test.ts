import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/core/resource-env';
import {
  refusingTarget,
  startHugeBodyReceiver,
  startResettingReceiver,
  startSilentReceiver,
  startTricklingReceiver,
  type RecordingFaultReceiver,
} from '../support/misbehaving-receivers';
import { startPipeline, type Pipeline } from '../support/pipeline';
import { Receiver, ReceiverPool, type Responder } from '../support/receiver';
import {
  formatReport,
  readDeliveryLog,
  reconcile,
  requestsFor,
  settle,
  type DeliveryLog,
  type ReconcileReport,
  type TrackedSubscription,
} from '../support/reconcile';

/**
 * Receivers misbehave in every way REFERENCE.md lists for the receiver side, the platform is
 * healthy. One subscription per kind of receiver, all on the same event type, plus a healthy
 * control; EVENT_COUNT events are published at once and the pipeline is drained until every
 * (event, subscription) has a final status. Then the delivery log is reconciled with what each
 * receiver recorded.
 *
 * Retry schedule 1,1: three attempts, one second apart (+-20% jitter rounds back to 1 s).
 * Timeout 5 s per attempt: far more than any receiver here that answers needs, however busy the
 * machine, so what they answer is what is logged; only the receivers that never finish answering
 * (silent, trickling) reach it, and they reach it whatever the machine's speed.
 * Endpoint isolation is off (no circuit breaker, no limit on slow attempts): this file checks what
 * every scheduled attempt against a misbehaving receiver does and records, so each one is made and
 * runs its course; the isolation features have tests of their own.
 */

const EVENT_COUNT = 5;
const TYPE = 'order.shipped';
/** Matches only the control and the 410 subscription: used once the 410 one is disabled. */
const LATE_TYPE = 'order.archived';
const SCHEDULED_ATTEMPTS = 3;
const ATTEMPT_TIMEOUT_MS = 5_000;
/** The sender's total timer starts with the attempt; allow for the rounding of the two clocks. */
const TIMER_ROUNDING_MS = 50;
/** Longer than the 1 s schedule step, so a gap this long proves Retry-After was honoured. */
const RETRY_AFTER_SECONDS = 2;
/** What the HTTP-date Retry-After asks for; its second resolution leaves at least 2 s. */
const RETRY_AFTER_DATE_AHEAD_MS = 3_000;
/** Timers fire late, never early; 100 ms covers rounding of the visibility timeout and the clocks. */
const GAP_TOLERANCE_MS = 100;

/** Answers `first` to the first request carrying a webhook-id, 200 to every later one. */
const failFirstThen200 = (first: () => ReturnType<Responder>): Responder => {
  const seen = new Set<string>();
  return (request) => {
    const id = String(request.headers['webhook-id']);
    if (seen.has(id)) return { status: 200 };
    seen.add(id);
    return first();
  };
};

describe('Delivery to misbehaving receivers, platform healthy', () => {
  let pipeline: Pipeline;
  let key: string;
  const pool = new ReceiverPool();
  const faultReceivers: RecordingFaultReceiver[] = [];
  const subscriptions: Record<string, TrackedSubscription> = {};
  const eventIds: string[] = [];
  /** Published by the 410 test once the subscription is disabled. */
  const lateEventIds: string[] = [];
  let log: DeliveryLog;
  let report: ReconcileReport;
  let healthy: Receiver;
  let hugeBody: Awaited<ReturnType<typeof startHugeBodyReceiver>>;
  let settledInMs = 0;

  const subscribe = async (name: string, url: string, requests: TrackedSubscription['requests'], eventTypes = [TYPE], mayBeDisabled = false) => {
    const response = await pipeline.call('POST', '/v1/subscriptions', { key, body: { url, eventTypes, description: name } });
    expect(response.status).toBe(201);
    subscriptions[name] = { name, id: response.body.id, secret: response.body.secret, requests, mayBeDisabled };
  };

  const tracked = () => Object.values(subscriptions);
  const recordOf = (eventId: string, name: string) => log.get(eventId)?.get(subscriptions[name]!.id);
  const recordsOf = (name: string) => eventIds.map((eventId) => recordOf(eventId, name));

  beforeAll(async () => {
    // Prepare
    pipeline = await startPipeline({
      WEBHOOK_ALLOW_HTTP: 'true',
      // The receivers are on loopback; the deployed stack refuses it, so the test allows it.
      WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
      WEBHOOK_RETRY_SCHEDULE: '1,1',
      WEBHOOK_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS),
      [ENV.circuitBreakerThreshold]: '0',
      [ENV.maxSlowAttemptsPerEndpoint]: '0',
      [ENV.maxSlowAttempts]: '0',
    });
    key = await pipeline.createKey('faults-receivers');

    healthy = await pool.start();
    const always500 = await pool.start(() => ({ status: 500, body: 'database is down' }));
    const unavailableOnce = await pool.start(
      failFirstThen200(() => ({ status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } })),
    );
    const throttledOnce = await pool.start(
      failFirstThen200(() => ({ status: 429, headers: { 'retry-after': new Date(Date.now() + RETRY_AFTER_DATE_AHEAD_MS).toUTCString() } })),
    );
    const gone = await pool.start(() => ({ status: 410 }));
    const redirecting = await pool.start(() => ({ status: 302, headers: { location: healthy.url } }));
    const silent = await startSilentReceiver();
    const trickling = await startTricklingReceiver();
    hugeBody = await startHugeBodyReceiver();
    const refused = await refusingTarget();
    const resetting = await startResettingReceiver();
    faultReceivers.push(silent, trickling, hugeBody, refused, resetting);

    await subscribe('healthy', healthy.url, healthy.requests, [TYPE, LATE_TYPE]);
    await subscribe('always-500', always500.url, always500.requests);
    await subscribe('503-then-200', unavailableOnce.url, unavailableOnce.requests);
    await subscribe('429-then-200', throttledOnce.url, throttledOnce.requests);
    await subscribe('410-gone', gone.url, gone.requests, [TYPE, LATE_TYPE], true);
    await subscribe('302-redirect', redirecting.url, redirecting.requests);
    await subscribe('never-answers', silent.url, silent.requests);
    await subscribe('trickles-body', trickling.url, trickling.requests);
    await subscribe('20MB-body', hugeBody.url, hugeBody.requests);
    await subscribe('refused', refused.url, refused.requests);
    await subscribe('reset', resetting.url, resetting.requests);

    // Act: the queues are polled as Lambda polls them, several invocations at once, so an
    // invocation waiting out the attempt timeout of a silent receiver holds up no other
    const started = Date.now();
    pipeline.fanout.start();
    pipeline.delivery.start();
    for (let i = 0; i < EVENT_COUNT; i++) {
      const response = await pipeline.call('POST', '/v1/events', { key, body: { type: TYPE, data: { orderId: i } } });
      expect(response.status).toBe(202);
      eventIds.push(response.body.id);
    }
    log = await settle({
      pump: () => new Promise((resolve) => setTimeout(resolve, 500)),
      read: () => readDeliveryLog(pipeline, key, eventIds),
      eventIds,
      subscriptions: tracked(),
      // Three attempts of the receivers that never answer take three attempt timeouts and two steps.
      timeoutMs: 90_000,
    });
    await Promise.all([pipeline.fanout.stop(), pipeline.delivery.stop()]);
    // Whatever is still queued (operational events, the 410 subscription's late messages) is handled too.
    await pipeline.drain({ timeoutMs: 5_000 });
    log = await readDeliveryLog(pipeline, key, eventIds);
    settledInMs = Date.now() - started;
    report = reconcile(log, eventIds, tracked());
    console.info(`faults-receivers: settled in ${settledInMs} ms\n${formatReport(report)}`);
  });

  afterAll(async () => {
    await Promise.all([pipeline?.fanout.stop(), pipeline?.delivery.stop()]);
    await pool.closeAll();
    await Promise.all(faultReceivers.map((receiver) => receiver.close()));
  });

  it('gives every (event, subscription) a final status backed by a verified request or a logged attempt, losing none', () => {
    // Assess
    expect(report.problems).toEqual([]);
    expect(report.bySubscription).toMatchObject({
      healthy: { delivered: EVENT_COUNT, duplicates: 0 },
      '503-then-200': { delivered: EVENT_COUNT },
      '429-then-200': { delivered: EVENT_COUNT },
      '20MB-body': { delivered: EVENT_COUNT },
      'always-500': { exhausted: EVENT_COUNT },
      '302-redirect': { exhausted: EVENT_COUNT },
      'never-answers': { exhausted: EVENT_COUNT },
      'trickles-body': { exhausted: EVENT_COUNT },
      refused: { exhausted: EVENT_COUNT },
      reset: { exhausted: EVENT_COUNT },
    });
    // The platform is healthy: every request is a scheduled attempt, none is sent twice.
    expect(report.duplicates).toBe(0);
  });

  it('sends only the published webhook-ids, every repeat with the same webhook-id, each signed with its own secret', () => {
    // Prepare
    const known = new Set([...eventIds, ...lateEventIds]);

    // Act
    const seen = tracked().flatMap((subscription) =>
      subscription.requests.map((request) => ({ name: subscription.name, id: String(request.headers['webhook-id']), request })),
    );

    // Assess
    expect(seen.filter(({ id }) => !known.has(id))).toEqual([]);
    for (const { name, request } of seen) {
      expect(() => Receiver.verify(request, subscriptions[name]!.secret), name).not.toThrow();
    }
    for (const subscription of tracked()) {
      for (const eventId of eventIds) {
        const repeats = requestsFor(subscription.requests, eventId);
        // A repeat of an event is the same message: same id, same signed body.
        expect(new Set(repeats.map((r) => r.body)).size, subscription.name).toBeLessThanOrEqual(1);
      }
    }
  });

  it('sends an always-500 receiver exactly the scheduled three attempts per event, each logged with status 500', () => {
    // Prepare
    const { requests } = subscriptions['always-500']!;

    // Assess
    for (const eventId of eventIds) expect(requestsFor(requests, eventId), eventId).toHaveLength(SCHEDULED_ATTEMPTS);
    expect(requests).toHaveLength(SCHEDULED_ATTEMPTS * EVENT_COUNT);
    for (const record of recordsOf('always-500')) {
      expect(record).toMatchObject({ status: 'exhausted', attempts: SCHEDULED_ATTEMPTS });
      expect(record!.attemptLog.map((a) => [a.attempt, a.statusCode, a.reason])).toEqual([
        [1, 500, 'server_error'],
        [2, 500, 'server_error'],
        [3, 500, 'server_error'],
      ]);
    }
  });

  it('delivers to 503 (Retry-After seconds) and 429 (Retry-After HTTP date) receivers on attempt 2, no sooner than they asked', () => {
    for (const name of ['503-then-200', '429-then-200'] as const) {
      const throttledStatus = name === '503-then-200' ? 503 : 429;
      for (const eventId of eventIds) {
        // Prepare
        const requests = requestsFor(subscriptions[name]!.requests, eventId);
        const record = recordOf(eventId, name);

        // Act
        const gapMs = requests[1]!.receivedAt - requests[0]!.receivedAt;

        // Assess
        expect(requests, `${name} ${eventId}`).toHaveLength(2);
        expect(record).toMatchObject({ status: 'delivered', attempts: 2 });
        expect(record!.attemptLog.map((a) => [a.statusCode, a.outcome, a.reason])).toEqual([
          [throttledStatus, 'failed', 'throttled'],
          [200, 'delivered', undefined],
        ]);
        // The schedule alone would wait 1 s; the receiver asked for at least 2 s.
        expect(gapMs, `${name} ${eventId}`).toBeGreaterThanOrEqual(RETRY_AFTER_SECONDS * 1000 - GAP_TOLERANCE_MS);
      }
    }
  });

  it('disables a 410 subscription at the first Gone; deliveries already queued end skipped, later events are not attempted', async () => {
    // Prepare
    const gone = subscriptions['410-gone']!;
    const records = recordsOf('410-gone');
    const exhausted = records.filter((r) => r?.status === 'exhausted');
    const skipped = records.filter((r) => r?.status === 'skipped');
    const missing = records.filter((r) => r === undefined);
    // All events were fanned out before the first 410 was seen, so each has a delivery message.
    // Messages handled in the same batch as the first 410 (concurrently) still got a 410 each;
    // those handled after it found the subscription disabled and were recorded skipped.
    console.info(`410-gone: ${exhausted.length} exhausted (attempted before the disable was seen), ${skipped.length} skipped, ${missing.length} without a record`);

    // Act
    const subscription = await pipeline.call('GET', `/v1/subscriptions/${gone.id}`, { key });
    const late = await pipeline.call('POST', '/v1/events', { key, body: { type: LATE_TYPE, data: {} } });
    lateEventIds.push(late.body.id);
    await pipeline.drain({ until: () => requestsFor(healthy.requests, late.body.id).length === 1, timeoutMs: 10_000 });
    await pipeline.drain({ timeoutMs: 3_000 });
    const lateLog = await readDeliveryLog(pipeline, key, [late.body.id]);

    // Assess
    expect(subscription.body).toMatchObject({ enabled: false, disabledReason: 'endpoint_gone' });
    expect(exhausted.length).toBeGreaterThanOrEqual(1);
    expect(exhausted.length + skipped.length + missing.length).toBe(EVENT_COUNT);
    for (const record of exhausted) {
      expect(record!.attemptLog.map((a) => [a.attempt, a.statusCode, a.reason])).toEqual([[1, 410, 'gone']]);
    }
    for (const record of skipped) expect(record).toMatchObject({ attempts: 0, attemptLog: [] });
    // The receiver got exactly one request per exhausted delivery and none for the others.
    expect(gone.requests.map((r) => r.headers['webhook-id']).sort()).toEqual(exhausted.map((r) => r!.eventId).sort());
    // An event published after the disable is not even fanned out to it.
    expect(late.status).toBe(202);
    expect(lateLog.get(late.body.id)?.get(gone.id)).toBeUndefined();
    expect(requestsFor(gone.requests, late.body.id)).toEqual([]);
  });

  it('never follows a 302: the delivery is exhausted with reason redirect and the Location target never gets it', () => {
    // Prepare
    const redirect = subscriptions['302-redirect']!;
    const control = subscriptions.healthy!;

    // Assess
    for (const record of recordsOf('302-redirect')) {
      expect(record).toMatchObject({ status: 'exhausted', attempts: SCHEDULED_ATTEMPTS });
      expect(record!.attemptLog.map((a) => [a.statusCode, a.reason])).toEqual(Array(SCHEDULED_ATTEMPTS).fill([302, 'redirect']));
    }
    expect(redirect.requests).toHaveLength(SCHEDULED_ATTEMPTS * EVENT_COUNT);
    // The Location is the control receiver: it got each event once, signed for itself only.
    for (const eventId of eventIds) expect(requestsFor(control.requests, eventId)).toHaveLength(1);
    for (const request of control.requests.filter((r) => eventIds.includes(String(r.headers['webhook-id'])))) {
      expect(() => Receiver.verify(request, redirect.secret)).toThrow();
    }
  });

  it('gives up on refused, reset, silent and trickling receivers after the scheduled attempts, logging connection and timeout', () => {
    // Prepare
    const expected = {
      refused: { reason: 'connection', requestsPerEvent: 0 },
      reset: { reason: 'connection', requestsPerEvent: SCHEDULED_ATTEMPTS },
      'never-answers': { reason: 'timeout', requestsPerEvent: SCHEDULED_ATTEMPTS },
      'trickles-body': { reason: 'timeout', requestsPerEvent: SCHEDULED_ATTEMPTS },
    } as const;

    for (const [name, { reason, requestsPerEvent }] of Object.entries(expected)) {
      for (const eventId of eventIds) {
        // Act
        const record = recordOf(eventId, name);

        // Assess
        expect(record, `${name} ${eventId}`).toMatchObject({ status: 'exhausted', attempts: SCHEDULED_ATTEMPTS });
        expect(record!.attemptLog, `${name} ${eventId}`).toHaveLength(SCHEDULED_ATTEMPTS);
        for (const attempt of record!.attemptLog) {
          expect(attempt, name).toMatchObject({ outcome: 'failed', reason, error: expect.any(String) });
          expect(attempt.statusCode, name).toBeUndefined();
        }
        expect(requestsFor(subscriptions[name]!.requests, eventId), name).toHaveLength(requestsPerEvent);
      }
    }
    // The attempt timeout ended them, each after the whole of it: the trickling receiver never
    // stops sending, so a bound on the total time is what ends its attempts, not an idle timer.
    for (const name of ['never-answers', 'trickles-body']) {
      for (const record of recordsOf(name)) {
        expect(record!.attemptLog, name).toHaveLength(SCHEDULED_ATTEMPTS);
        for (const attempt of record!.attemptLog) expect(attempt.durationMs, name).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS - TIMER_ROUNDING_MS);
      }
    }
  });

  it('delivers to a receiver answering 200 with a 20 MB body at the first attempt, without reading the body to its end', () => {
    for (const record of recordsOf('20MB-body')) {
      expect(record).toMatchObject({ status: 'delivered', attempts: 1 });
      expect(record!.attemptLog[0]).toMatchObject({ statusCode: 200, outcome: 'delivered' });
    }
    expect(subscriptions['20MB-body']!.requests).toHaveLength(EVENT_COUNT);
    // The sender hung up on every answer before its body was through.
    expect(hugeBody.answers).toHaveLength(EVENT_COUNT);
    for (const answer of hugeBody.answers) {
      expect(answer.complete).toBe(false);
      expect(answer.sentBytes).toBeLessThan(20 * 1024 * 1024);
    }
  });
});
