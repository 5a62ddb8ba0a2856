import { beforeAll, describe, expect, it } from 'vitest';
import { formatChaos } from '../support/chaos/format-chaos';
import { REQUEST_BEHAVIOURS } from '../support/chaos/chaos-receiver';
import { runChaos, type ChaosResult } from '../support/chaos/run-chaos';

/**
 * The chaos run of `npm run chaos` (test/support/chaos/), reduced: 100 events x 10 subscriptions,
 * 1,000 deliveries, seeded. The delivery function runs in execution environments that get killed
 * in the middle of a batch and whose SQS and DynamoDB calls fail; every receiver fails at random in
 * every way a receiver can. Then the delivery log is reconciled exactly with what the receivers saw.
 */

const REDUCED = {
  seed: 1_206,
  events: 100,
  subscriptions: 10,
  // More crashes than the full run's 5%: a run this short has few batches to kill.
  crashShare: 0.1,
  minCrashes: 2,
  // Receivers fail up to 30% of requests rather than 45% (every kind of failure still occurs), and an
  // endpoint's circuit opens after 20 attempts without an answer rather than the stack's 5: deliveries
  // behind an open circuit wait for its probes, which would make the run's length a matter of luck.
  failureShare: [0.05, 0.3],
  circuitBreakerThreshold: 20,
  // With the setup and the reading of the log, the run stays under 2 minutes.
  settleTimeoutMs: 85_000,
} as const;

describe('Chaos run, reduced: 1,000 deliveries through crashes, AWS faults and receivers failing every way', () => {
  let result: ChaosResult;

  beforeAll(async () => {
    // Act
    result = await runChaos(REDUCED);
    console.info(formatChaos(result));
  }, 150_000);

  it('injected what it claims: crashes mid-batch, AWS calls failing for good, every receiver misbehaviour', () => {
    // Assess
    expect(result.deliveries).toBeGreaterThanOrEqual(1_000);
    expect(result.pipeline.crashed).toBeGreaterThan(0);
    expect(result.pipeline.aws.dynamodb.exhausted + result.pipeline.aws.sqs.exhausted).toBeGreaterThan(0);
    for (const behaviour of REQUEST_BEHAVIOURS) expect(result.receivers.byBehaviour[behaviour], behaviour).toBeGreaterThan(0);
    expect(result.receivers.resetUnread).toBeGreaterThan(0);
  });

  it('drains in time and settles every (event, subscription): delivered, exhausted or skipped after a 410, none lost', () => {
    // Assess
    const { totals } = result.reconciliation;
    expect(result.drained).toBe(true);
    expect(totals.lost).toBe(0);
    expect(totals.delivered + totals.exhausted + totals.skipped + totals.notFannedOut).toBe(result.deliveries);
    expect(totals.delivered).toBeGreaterThan(0);
    expect(totals.exhausted).toBeGreaterThan(0);
  });

  it('makes no pair more attempts than the schedule allows', () => {
    // Assess
    expect(result.reconciliation.overSchedule).toBe(0);
  });

  it('sends a receiver exactly the attempts the log holds, a duplicate only while a pipeline fault was in play, always the same webhook-id and body', () => {
    // Assess
    const { totals, checks } = result.reconciliation;
    expect(totals.unexplainedDuplicates).toBe(0);
    expect(checks.find((check) => check.name.startsWith('duplicates repeat'))).toMatchObject({ ok: true });
    expect(checks.find((check) => check.name.startsWith('each final status'))).toMatchObject({ ok: true });
  });

  it('accounts for every sent request a receiver did not read as a connection it reset unread', () => {
    // Assess
    for (const row of result.reconciliation.rows) {
      expect(row.sentUnread, row.name).toBeLessThanOrEqual(row.resetUnread);
      if (row.exposedPairs === 0) expect(row.sentUnread, row.name).toBe(row.resetUnread);
    }
  });

  it('leaves both dead-letter queues holding only the planted poison and every queue empty', () => {
    // Assess
    const { checks } = result.reconciliation;
    expect(checks.find((check) => check.name.startsWith('dead-letter'))).toMatchObject({ ok: true });
    expect(checks.find((check) => check.name.startsWith('queues empty'))).toMatchObject({ ok: true });
  });

  it('signs every request so that it verifies with the standardwebhooks library', () => {
    // Assess
    const { totals } = result.reconciliation;
    expect(totals.signaturesVerified).toBe(totals.seen);
  });

  it('reconciles with no problem at all', () => {
    // Assess
    expect(result.reconciliation.problems).toEqual([]);
    expect(result.ok).toBe(true);
  });
});
