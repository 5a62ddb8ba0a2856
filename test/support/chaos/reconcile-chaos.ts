import { FINAL_STATUSES, type AttemptView, type DeliveryLog, type DeliveryView } from '../reconcile';
import { SUCCEEDING, type ChaosReceiver, type SeenRequest } from './chaos-receiver';
import type { InvocationRecord } from './delivery-environments';


/**
 * The exact reconciliation of a chaos run: the delivery log (read through the public API) against
 * what each receiver saw, pair by pair, with the pipeline's own faults as the only excuse for a
 * request the log does not hold.
 *
 * Per (event, subscription):
 * - `sent`: attempts in the log that reached the receiver (`requestSent`, absent = true; an entry
 *   of a group's log is one sent request), `notSent`: attempts that made no connection;
 * - `seen`: requests the receiver read in full with that `webhook-id`.
 * A request the log does not hold (`seen > sent`) is a duplicate, allowed only for a pair whose
 * message was in an invocation that crashed, timed out, failed, or had an AWS call fail for good
 * or lose its answer: that is when a sent request can go unrecorded. `seen < sent` is allowed only
 * as connections the receiver reset before reading the request; those cannot be told apart per
 * pair, so they are reconciled per receiver: the sent requests it never read are at most the
 * connections it reset unread, and exactly those when no pair of it was exposed.
 */

export interface ChaosSubscription {
  readonly name: string;
  readonly id: string;
  readonly receiver: ChaosReceiver;
  /** Its receiver turns Gone: deliveries may end `skipped`, or have no record (fanned out after the disable). */
  readonly mayBeDisabled: boolean;
}

type LoggedAttempt = AttemptView & { requestSent?: boolean };

export type ExposureCause = 'crashed' | 'timed_out' | 'failed' | 'aws_fault';

export interface SubscriptionRow {
  name: string;
  failureShare: number;
  delivered: number;
  exhausted: number;
  skipped: number;
  /** No record: fanned out after its subscription was disabled. */
  notFannedOut: number;
  /** Not final, or no record where one was due. */
  lost: number;
  /** Attempts the log says reached the receiver. */
  sent: number;
  /** Attempts the log says made no connection. */
  notSent: number;
  /** Requests the receiver read. */
  seen: number;
  /** Connections the receiver reset as a request arrived, unread. */
  resetUnread: number;
  /** Sum over pairs of sent - seen where positive: sent requests the receiver never read. */
  sentUnread: number;
  /** Sum over pairs of seen - sent where positive: requests the log does not hold. */
  duplicates: number;
  /** Of those, on pairs no pipeline fault exposed. */
  unexplainedDuplicates: number;
  /** resetUnread - sentUnread: unread resets of requests the log does not hold (exposed pairs only). */
  unreadUnlogged: number;
  exposedPairs: number;
  signaturesVerified: number;
}

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ChaosReconciliation {
  rows: SubscriptionRow[];
  totals: SubscriptionRow;
  checks: Check[];
  /** One line per discrepancy, with its evidence; empty when everything reconciles. */
  problems: string[];
  exposures: Record<ExposureCause, number>;
  /** Duplicates by what exposed their pair. */
  duplicatesByCause: Record<ExposureCause, number>;
  /** Pairs whose attempts in the log exceed the schedule. */
  overSchedule: number;
  /** The most requests the log does not hold for one pair. */
  mostDuplicatesOnePair: number;
}

export interface ReconcileChaosInput {
  readonly log: DeliveryLog;
  readonly eventIds: readonly string[];
  readonly subscriptions: readonly ChaosSubscription[];
  readonly ledger: readonly InvocationRecord[];
  /** Attempts the retry schedule allows: its delays plus one. */
  readonly scheduledAttempts: number;
  readonly deadLetters: { readonly fanout: readonly string[]; readonly delivery: readonly string[] };
  readonly plantedPoison: { readonly fanout: readonly string[]; readonly delivery: readonly string[] };
  readonly queueDepths: { readonly fanout: number; readonly delivery: number };
}

const PROBLEMS_KEPT = 50;
const n = (value: number): string => value.toLocaleString('en-US');
const CAUSE_ORDER: readonly ExposureCause[] = ['crashed', 'timed_out', 'failed', 'aws_fault'];

/** From when a pipeline fault could make requests to the pair go unrecorded. */
export interface Exposure {
  readonly from: number;
  readonly cause: ExposureCause;
}

/**
 * When each pair was exposed to a pipeline fault, from the ledger:
 * - an invocation that crashed, timed out or failed: all its pairs;
 * - an invocation with an AWS call that failed for good or lost its answer: the pairs of the
 *   messages it left on the queue (only those are handled again): of a group, all of them (its
 *   split-out messages are out already, and the group comes back too), of a single delivery, the
 *   one whose outcome it did not write, or that it handled more than once;
 * - a delivery message sent whose answer was lost (the SDK's retry may have sent it twice): its pairs.
 * The exposure lasts from the invocation's start to the end of the run: a batch that dies after
 * sending split-out messages leaves its group to come back as well, so two messages may carry a
 * delivery from then on, and each may send its next attempts. A duplicate is explained only by a
 * request seen after an exposure of its pair began.
 */
export const exposuresOf = (ledger: readonly InvocationRecord[]): Map<string, Exposure[]> => {
  const exposed = new Map<string, Exposure[]>();
  const add = (pairs: readonly string[], exposure: Exposure) => {
    for (const pair of pairs) {
      const list = exposed.get(pair);
      if (list === undefined) exposed.set(pair, [exposure]);
      else list.push(exposure);
    }
  };
  for (const invocation of ledger) {
    const from = invocation.startedAt;
    if (invocation.outcome === 'crashed' || invocation.outcome === 'timed_out' || invocation.outcome === 'failed') {
      add(invocation.pairs, { from, cause: invocation.outcome });
    } else if (invocation.outcome === 'completed' && invocation.exhaustedCalls + invocation.lostSends + invocation.lostAnswers > 0) {
      // A message the invocation handled more than once (taken again after its visibility change)
      // may have had one outcome written and a later one lost: its record no longer covers it.
      const handlings = (pair: string) => invocation.messages.filter((message) => message.pairs.includes(pair)).length;
      const exposed = invocation.leftOnQueue.flatMap((message) =>
        message.kind === 'group' ? message.pairs : message.pairs.filter((pair) => !invocation.recordedPairs.has(pair) || handlings(pair) > 1),
      );
      add(exposed, { from, cause: 'aws_fault' });
    }
    add(invocation.duplicatedPairs, { from, cause: 'aws_fault' });
  }
  return exposed;
};

const gravest = (causes: readonly ExposureCause[]): ExposureCause | undefined =>
  CAUSE_ORDER.find((cause) => causes.includes(cause));

const emptyRow = (name: string, failureShare: number): SubscriptionRow => ({
  name,
  failureShare,
  delivered: 0,
  exhausted: 0,
  skipped: 0,
  notFannedOut: 0,
  lost: 0,
  sent: 0,
  notSent: 0,
  seen: 0,
  resetUnread: 0,
  sentUnread: 0,
  duplicates: 0,
  unexplainedDuplicates: 0,
  unreadUnlogged: 0,
  exposedPairs: 0,
  signaturesVerified: 0,
});

const sameSet = (a: readonly string[], b: readonly string[]) => {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((item) => right.has(item));
};

export const reconcileChaos = (input: ReconcileChaosInput): ChaosReconciliation => {
  const { log, eventIds, subscriptions, scheduledAttempts } = input;
  const problems: string[] = [];
  let problemCount = 0;
  const problem = (line: string) => {
    problemCount += 1;
    if (problems.length < PROBLEMS_KEPT) problems.push(line);
  };
  const exposures = exposuresOf(input.ledger);
  const known = new Set(eventIds);
  const duplicatesByCause: Record<ExposureCause, number> = { crashed: 0, timed_out: 0, failed: 0, aws_fault: 0 };
  const exposureCounts: Record<ExposureCause, number> = { crashed: 0, timed_out: 0, failed: 0, aws_fault: 0 };
  for (const windows of exposures.values()) exposureCounts[gravest(windows.map((w) => w.cause))!] += 1;
  let overSchedule = 0;
  let mostDuplicatesOnePair = 0;
  let unknownIds = 0;
  let unverified = 0;
  let changedBodies = 0;
  let unbackedDeliveries = 0;
  let inconsistentRecords = 0;
  const rows: SubscriptionRow[] = [];

  for (const subscription of subscriptions) {
    const { receiver } = subscription;
    const row = emptyRow(subscription.name, receiver.options.failureShare);
    rows.push(row);
    const byId = receiver.requestsById();
    row.seen = receiver.requests.length;
    row.resetUnread = receiver.counts.resetUnread;
    for (const request of receiver.requests) {
      if (request.verified) row.signaturesVerified += 1;
      else {
        unverified += 1;
        problem(`${subscription.name}: request for ${request.webhookId} does not verify: ${request.verifyError}`);
      }
      if (!known.has(request.webhookId)) {
        unknownIds += 1;
        problem(`${subscription.name}: request with a webhook-id no event of the run has: "${request.webhookId}"`);
      }
    }

    for (const eventId of eventIds) {
      const pair = `${eventId} ${subscription.id}`;
      const where = `${eventId} -> ${subscription.name} (${subscription.id})`;
      const record: DeliveryView | undefined = log.get(eventId)?.get(subscription.id);
      const requests: readonly SeenRequest[] = byId.get(eventId) ?? [];
      const attempts = (record?.attemptLog ?? []) as LoggedAttempt[];
      const sent = attempts.filter((a) => a.requestSent !== false).length;
      const notSent = attempts.length - sent;
      const seen = requests.length;
      const windows = exposures.get(pair) ?? [];
      const carriers = () =>
        input.ledger
          .filter((invocation) => invocation.pairs.includes(pair))
          .map((invocation) => [
            new Date(invocation.startedAt).toISOString(),
            invocation.endedAt - invocation.startedAt,
            invocation.outcome,
            `env ${invocation.environment}`,
            invocation.messages.filter((m) => m.pairs.includes(pair)).map((m) => `${m.kind}${m.taken ? ' taken' : ''} receive ${m.receiveCount}`).join('+'),
            invocation.leftOnQueue.some((message) => message.pairs.includes(pair)) ? 'left on queue' : 'deleted',
            `AWS calls failed for good ${invocation.exhaustedCalls}, answers lost ${invocation.lostSends + invocation.lostAnswers}`,
            `errors answered ${JSON.stringify(invocation.awsErrors)}`,
          ]);
      if (windows.length > 0) row.exposedPairs += 1;
      row.sent += sent;
      row.notSent += notSent;
      if (sent > seen) row.sentUnread += sent - seen;
      const evidence = () =>
        `log ${JSON.stringify(record === undefined ? null : { status: record.status, attempts: record.attempts, attemptLog: attempts.map((a) => [a.attempt, a.at, a.statusCode ?? a.reason, a.requestSent]) })}; ` +
        `receiver ${JSON.stringify(requests.map((r) => [new Date(r.receivedAt).toISOString(), r.behaviour]))}; ` +
        `invocations ${JSON.stringify(carriers())}`;

      if (seen > sent) {
        const extra = seen - sent;
        row.duplicates += extra;
        mostDuplicatesOnePair = Math.max(mostDuplicatesOnePair, extra);
        // Each request the log does not hold must have been sent while a fault could hide it.
        const causes = requests.flatMap((r) => windows.filter((w) => r.receivedAt >= w.from).slice(0, 1).map((w) => w.cause));
        const unexplained = Math.max(0, extra - causes.length);
        if (unexplained > 0) {
          row.unexplainedDuplicates += unexplained;
          problem(`${where}: ${seen} request(s) seen, ${sent} sent according to the log, ${causes.length} while a pipeline fault was in play: ${evidence()}`);
        }
        const cause = gravest(causes);
        if (cause !== undefined) duplicatesByCause[cause] += extra - unexplained;
      }
      if (new Set(requests.map((r) => r.body)).size > 1) {
        changedBodies += 1;
        problem(`${where}: repeats of the event carry different bodies`);
      }

      // The schedule: never more attempts than it allows, numbered 1..n.
      const numbers = attempts.map((a) => a.attempt);
      const overLimit = (record?.attempts ?? 0) > scheduledAttempts || sent > scheduledAttempts || (windows.length === 0 && seen > scheduledAttempts);
      if (overLimit) {
        overSchedule += 1;
        problem(`${where}: more attempts than the schedule's ${scheduledAttempts}: ${evidence()}`);
      }
      if (record !== undefined && (attempts.length !== record.attempts || numbers.some((n, index) => n !== index + 1))) {
        inconsistentRecords += 1;
        problem(`${where}: ${record.attempts} attempt(s) counted but the log numbers ${JSON.stringify(numbers)}`);
      }

      if (record === undefined) {
        if (subscription.mayBeDisabled && seen === 0) row.notFannedOut += 1;
        else {
          row.lost += 1;
          problem(`${where}: no delivery record (lost): ${evidence()}`);
        }
        continue;
      }
      if (!FINAL_STATUSES.has(record.status)) {
        row.lost += 1;
        problem(`${where}: still ${record.status} at the end: ${evidence()}`);
        continue;
      }
      const last = attempts.at(-1);
      switch (record.status) {
        case 'delivered':
          row.delivered += 1;
          if (last?.outcome !== 'delivered' || last.statusCode === undefined || last.statusCode < 200 || last.statusCode > 299) {
            inconsistentRecords += 1;
            problem(`${where}: delivered, but the last attempt in the log is ${JSON.stringify(last)}`);
          }
          // The receiver must have answered a 2xx to a verified request of this event.
          if (!requests.some((r) => r.verified && SUCCEEDING.has(r.behaviour))) {
            unbackedDeliveries += 1;
            problem(`${where}: delivered, but the receiver answered no request of it with a 2xx: ${evidence()}`);
          }
          break;
        case 'exhausted': {
          row.exhausted += 1;
          const unexplained = attempts.filter((a) => a.outcome !== 'failed' || !a.reason);
          const endedByGone = subscription.mayBeDisabled && last?.reason === 'gone';
          if (unexplained.length > 0 || (record.attempts !== scheduledAttempts && !endedByGone && !subscription.mayBeDisabled)) {
            inconsistentRecords += 1;
            problem(`${where}: exhausted after ${record.attempts} attempt(s) of ${scheduledAttempts}: ${evidence()}`);
          }
          break;
        }
        case 'skipped':
          row.skipped += 1;
          if (!subscription.mayBeDisabled) {
            inconsistentRecords += 1;
            problem(`${where}: skipped, but its subscription was never disabled`);
          }
          break;
      }
    }

    row.unreadUnlogged = row.resetUnread - row.sentUnread;
    if (row.unreadUnlogged < 0 || (row.exposedPairs === 0 && row.unreadUnlogged !== 0)) {
      problem(
        `${subscription.name}: ${row.sentUnread} sent request(s) it never read, but ${row.resetUnread} connection(s) reset unread ` +
          `(${row.exposedPairs} pair(s) exposed to pipeline faults)`,
      );
    }
  }

  const totals = rows.reduce((sum, row) => {
    for (const [key, value] of Object.entries(row)) if (typeof value === 'number' && key !== 'failureShare') (sum as any)[key] += value;
    return sum;
  }, emptyRow('all', Number.NaN));

  const poisonOnly = sameSet(input.deadLetters.fanout, input.plantedPoison.fanout) && sameSet(input.deadLetters.delivery, input.plantedPoison.delivery);
  if (!poisonOnly) {
    problem(
      `dead-letter queues hold ${JSON.stringify(input.deadLetters)}, expected only the planted poison ${JSON.stringify(input.plantedPoison)}`,
    );
  }
  const queuesEmpty = input.queueDepths.fanout + input.queueDepths.delivery === 0;
  if (!queuesEmpty) problem(`queues not empty at the end: ${JSON.stringify(input.queueDepths)}`);

  const pairs = eventIds.length * subscriptions.length;
  const checks: Check[] = [
    {
      name: 'every (event, subscription) delivered, exhausted or skipped; none lost',
      ok: totals.lost === 0,
      detail: `${n(pairs)} pairs: ${n(totals.delivered)} delivered, ${n(totals.exhausted)} exhausted, ${n(totals.skipped)} skipped, ${n(totals.notFannedOut)} not fanned out (subscription already disabled), ${n(totals.lost)} lost`,
    },
    {
      name: 'each final status backed by the log and the receiver',
      ok: inconsistentRecords === 0 && unbackedDeliveries === 0,
      detail: `${n(inconsistentRecords)} record(s) inconsistent with the schedule or the outcome rules, ${n(unbackedDeliveries)} delivery(ies) without a 2xx answer at the receiver`,
    },
    {
      name: `no pair over the schedule's ${scheduledAttempts} attempts`,
      ok: overSchedule === 0,
      detail: `${n(overSchedule)} pair(s) over`,
    },
    {
      name: 'requests seen = attempts sent per pair, a duplicate only after a pipeline fault',
      ok: totals.unexplainedDuplicates === 0,
      detail:
        `${n(totals.duplicates)} duplicate(s): ${n(duplicatesByCause.crashed)} after a crash, ${n(duplicatesByCause.timed_out)} after a timeout, ` +
        `${n(duplicatesByCause.failed)} after a failed invocation, ${n(duplicatesByCause.aws_fault)} after an AWS call failed; ${n(totals.unexplainedDuplicates)} unexplained; ` +
        `at most ${n(mostDuplicatesOnePair)} on one pair`,
    },
    {
      name: 'duplicates repeat the same webhook-id and body',
      ok: changedBodies === 0 && unknownIds === 0,
      detail: `${n(changedBodies)} pair(s) with differing bodies, ${n(unknownIds)} request(s) with an unknown webhook-id`,
    },
    {
      name: 'sent requests never read = connections reset unread',
      ok: rows.every((row) => row.unreadUnlogged >= 0 && (row.exposedPairs > 0 || row.unreadUnlogged === 0)),
      detail:
        `sum over pairs of sent - seen: ${n(totals.sent)} - ${n(totals.seen)} = ${n(totals.sent - totals.seen)} = reset unread ${n(totals.resetUnread)} ` +
        `- duplicates ${n(totals.duplicates)} - unlogged sends reset unread ${n(totals.unreadUnlogged)} (0 unless a fault exposed the receiver's pairs)`,
    },
    {
      name: 'every signature verifies (standardwebhooks)',
      ok: unverified === 0,
      detail: `${n(totals.signaturesVerified)} of ${n(totals.seen)} requests verified on arrival`,
    },
    {
      name: 'dead-letter queues hold only the planted poison',
      ok: poisonOnly,
      detail: `fan-out DLQ ${n(input.deadLetters.fanout.length)} (planted ${n(input.plantedPoison.fanout.length)}), delivery DLQ ${n(input.deadLetters.delivery.length)} (planted ${n(input.plantedPoison.delivery.length)})`,
    },
    {
      name: 'queues empty at the end',
      ok: queuesEmpty,
      detail: `fan-out ${n(input.queueDepths.fanout)}, delivery ${n(input.queueDepths.delivery)}`,
    },
  ];
  if (problemCount > problems.length) problems.push(`... and ${problemCount - problems.length} more`);
  return { rows, totals, checks, problems, exposures: exposureCounts, duplicatesByCause, overSchedule, mostDuplicatesOnePair };
};
