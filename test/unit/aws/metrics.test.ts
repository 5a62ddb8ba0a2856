import { Metrics } from '@aws-lambda-powertools/metrics';
import fc from 'fast-check';
import { encodeTime } from 'ulid';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  deliveryMeasurements,
  deliveryObservation,
  InvocationMetrics,
  type DeliveryObservation,
  type Measurement,
} from '../../../lambdas/aws/metrics';
import { METRIC_NAMES } from '../../../lambdas/core/telemetry-names';
import type { AttemptLog } from '../../../lambdas/core/model';

const ACCEPTED = '2026-01-01T00:00:00.000Z';
const acceptedMs = Date.parse(ACCEPTED);
const EVENT_ID = 'evt_01KDXD8Q00AAAAAAAAAAAAAAAA';
const at = (offsetMs: number) => new Date(acceptedMs + offsetMs).toISOString();

const firstRun = { eventId: EVENT_ID, run: EVENT_ID, createdAt: ACCEPTED };

const attempt = (overrides: Partial<AttemptLog> = {}): AttemptLog => ({
  attempt: 1,
  at: at(2_000),
  outcome: 'delivered',
  statusCode: 200,
  durationMs: 40,
  ...overrides,
});

const observation = (overrides: Partial<DeliveryObservation> = {}): DeliveryObservation => ({
  message: firstRun,
  decision: { action: 'done', status: 'delivered', attempt: attempt() },
  rateLimited: false,
  disabledSubscription: false,
  ...overrides,
});

const byName = (measurements: Measurement[]) => Object.fromEntries(measurements.map((m) => [m.reason ? `${m.name}:${m.reason}` : m.name, m.value]));

describe('Function: deliveryMeasurements', () => {
  it('measures a first successful attempt: attempt, success, latency, end-to-end latency and lag', () => {
    // Act
    const measured = deliveryMeasurements(observation());

    // Assess
    expect(byName(measured)).toEqual({
      [METRIC_NAMES.deliveryAttempts]: 1,
      [METRIC_NAMES.deliverySucceeded]: 1,
      [METRIC_NAMES.deliveryLatency]: 40,
      [METRIC_NAMES.endToEndLatency]: 2_040,
      [METRIC_NAMES.deliveryLag]: 2,
    });
  });

  it('counts a failure under its reason, and measures the lag of a retry from the record\'s due time', () => {
    // Prepare: the retry was due 5 minutes after acceptance and started 3 s later
    const retry = attempt({ attempt: 2, at: at(303_000), outcome: 'failed', statusCode: 503, reason: 'throttled' });

    // Act
    const measured = deliveryMeasurements(
      observation({ decision: { action: 'retry_later', attempt: retry }, dueAt: at(300_000) }),
    );

    // Assess
    expect(byName(measured)).toEqual({
      [METRIC_NAMES.deliveryAttempts]: 1,
      [`${METRIC_NAMES.deliveryFailed}:throttled`]: 1,
      [METRIC_NAMES.deliveryLatency]: 40,
      [METRIC_NAMES.deliveryLag]: 3,
    });
  });

  it('counts an exhausted delivery and a subscription it disabled', () => {
    // Prepare
    const gone = attempt({ attempt: 4, outcome: 'failed', statusCode: 410, reason: 'gone' });

    // Act
    const measured = deliveryMeasurements(
      observation({ decision: { action: 'done', status: 'exhausted', attempt: gone }, dueAt: at(1_000), disabledSubscription: true }),
    );

    // Assess
    expect(byName(measured)).toMatchObject({
      [METRIC_NAMES.deliveriesExhausted]: 1,
      [METRIC_NAMES.subscriptionsDisabled]: 1,
      [`${METRIC_NAMES.deliveryFailed}:gone`]: 1,
    });
  });

  it('counts other deferrals by reason, and circuits opened and closed by an attempt', () => {
    expect(byName(deliveryMeasurements(observation({ decision: { action: 'retry_later', deferred: 'circuit_open' } })))).toEqual({
      [`${METRIC_NAMES.deliveriesDeferred}:circuit_open`]: 1,
    });
    expect(byName(deliveryMeasurements(observation({ decision: { action: 'retry_later', deferred: 'pool_wait' } })))).toEqual({
      [`${METRIC_NAMES.deliveriesDeferred}:pool_wait`]: 1,
    });
    expect(byName(deliveryMeasurements(observation({ decision: { action: 'retry_later', circuit: 'opened' } })))).toEqual({
      [METRIC_NAMES.circuitsOpened]: 1,
    });
    expect(byName(deliveryMeasurements(observation({ decision: { action: 'done', status: 'delivered', circuit: 'closed' } })))).toMatchObject({
      [METRIC_NAMES.circuitsClosed]: 1,
    });
  });

  it('counts a rate-limit deferral, which is no attempt', () => {
    expect(byName(deliveryMeasurements(observation({ decision: { action: 'retry_later', deferred: 'rate_limited' } })))).toEqual({
      [METRIC_NAMES.rateLimitDeferrals]: 1,
    });
  });

  it('measures nothing for a duplicate or a deferral until the due time', () => {
    expect(deliveryMeasurements(observation({ decision: { action: 'done', status: 'duplicate' } }))).toEqual([]);
    expect(deliveryMeasurements(observation({ decision: { action: 'retry_later' } }))).toEqual([]);
  });

  it('leaves the lag of rate-limited subscriptions out: they wait by design', () => {
    const names = deliveryMeasurements(observation({ rateLimited: true })).map((m) => m.name);

    expect(names).not.toContain(METRIC_NAMES.deliveryLag);
    expect(names).toContain(METRIC_NAMES.deliveryAttempts);
  });

  it('measures a replay from the replay request, and gives it no end-to-end latency', () => {
    // Prepare: a replay requested a day after the event, attempted 1.5 s after the request
    const requestedMs = acceptedMs + 86_400_000;
    const run = `run_${encodeTime(requestedMs, 10)}AAAAAAAAAAAAAAAA`;
    const replayed = attempt({ at: new Date(requestedMs + 1_500).toISOString() });

    // Act
    const measured = byName(deliveryMeasurements(observation({ message: { ...firstRun, run }, decision: { action: 'done', status: 'delivered', attempt: replayed } })));

    // Assess
    expect(measured[METRIC_NAMES.deliveryLag]).toBe(1.5);
    expect(measured[METRIC_NAMES.endToEndLatency]).toBeUndefined();
  });

  it('never reports a negative lag for an attempt that starts a little early', () => {
    const early = attempt({ attempt: 2, at: at(299_500) });

    expect(byName(deliveryMeasurements(observation({ decision: { action: 'retry_later', attempt: early }, dueAt: at(300_000) })))[METRIC_NAMES.deliveryLag]).toBe(0);
  });

  it('gives every measurement a known name and only failures a reason', () => {
    const names = new Set<string>(Object.values(METRIC_NAMES));
    fc.assert(
      fc.property(
        fc.record({
          attempted: fc.boolean(),
          delivered: fc.boolean(),
          exhausted: fc.boolean(),
          deferred: fc.boolean(),
          disabled: fc.boolean(),
          rateLimited: fc.boolean(),
          attemptNumber: fc.integer({ min: 1, max: 8 }),
          offsetMs: fc.integer({ min: 0, max: 86_400_000 }),
        }),
        (c) => {
          const log = attempt({ attempt: c.attemptNumber, at: at(c.offsetMs), outcome: c.delivered ? 'delivered' : 'failed', ...(c.delivered ? {} : { reason: 'timeout' }) });
          const measured = deliveryMeasurements({
            message: firstRun,
            decision: {
              action: c.exhausted ? 'done' : 'retry_later',
              ...(c.exhausted ? { status: 'exhausted' } : {}),
              ...(c.attempted ? { attempt: log } : {}),
              ...(c.deferred ? { deferred: 'rate_limited' } : {}),
            },
            dueAt: at(0),
            rateLimited: c.rateLimited,
            disabledSubscription: c.disabled,
          });
          for (const m of measured) {
            expect(names.has(m.name)).toBe(true);
            expect(m.value).toBeGreaterThanOrEqual(0);
            expect(m.reason !== undefined).toBe(m.name === METRIC_NAMES.deliveryFailed);
          }
        },
      ),
    );
  });
});

describe('Class: InvocationMetrics', () => {
  afterEach(() => vi.restoreAllMocks());

  describe('Method: publishTo', () => {
    it('sums counts into one value, keeps each timing, and writes failures per reason with the reason dimension', () => {
      // Prepare
      const lines: string[] = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
      const metrics = new Metrics({ namespace: 'Test', serviceName: 'webhook-fanout' });
      const invocation = new InvocationMetrics();
      const failed = attempt({ outcome: 'failed', reason: 'timeout', durationMs: 15_000 });
      invocation.add(deliveryMeasurements(observation()));
      invocation.add(deliveryMeasurements(observation({ decision: { action: 'done', status: 'delivered', attempt: attempt({ durationMs: 60 }) } })));
      invocation.add(deliveryMeasurements(observation({ decision: { action: 'retry_later', attempt: failed } })));
      invocation.add(deliveryMeasurements(observation({ decision: { action: 'retry_later', attempt: failed } })));

      // Act
      invocation.publishTo(metrics);
      const main = metrics.serializeMetrics();
      metrics.clearMetrics();

      // Assess
      expect(main).toMatchObject({
        service: 'webhook-fanout',
        [METRIC_NAMES.deliveryAttempts]: 4,
        [METRIC_NAMES.deliverySucceeded]: 2,
        [METRIC_NAMES.deliveryLatency]: [40, 60, 15_000, 15_000],
      });
      expect(main._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
      expect(main).not.toHaveProperty(METRIC_NAMES.deliveryFailed);
      const failures = lines.map((line) => JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][] }> } });
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ service: 'webhook-fanout', reason: 'timeout', [METRIC_NAMES.deliveryFailed]: 2 });
      expect(failures[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'reason']]);
    });

    it('starts again after publishing', () => {
      // Prepare
      const metrics = new Metrics({ namespace: 'Test', serviceName: 'webhook-fanout' });
      const invocation = new InvocationMetrics();
      invocation.add(deliveryMeasurements(observation()));
      invocation.publishTo(metrics);
      metrics.clearMetrics();

      // Act
      invocation.publishTo(metrics);

      // Assess
      expect(metrics.hasStoredMetrics()).toBe(false);
    });
  });
});

describe('Function: deliveryObservation', () => {
  it('takes the due time, the rate limit and a disable from the decision', () => {
    // Act
    const observed = deliveryObservation(firstRun, { action: 'retry_later', dueAt: at(300_000), rateLimited: true, disabledSubscription: true });

    // Assess
    expect(observed).toMatchObject({ dueAt: at(300_000), rateLimited: true, disabledSubscription: true });
  });

  it('says neither rate limited nor disabled, with no due time, when the decision does not', () => {
    // Act
    const observed = deliveryObservation(firstRun, { action: 'done', status: 'delivered' });

    // Assess
    expect(observed).toEqual({ message: firstRun, decision: { action: 'done', status: 'delivered' }, rateLimited: false, disabledSubscription: false });
  });
});
