import type { Pipeline } from './pipeline';
import { Receiver, type ReceivedRequest } from './receiver';

/**
 * Reconciliation of what the pipeline says it did (the delivery log, read through the public API)
 * with what the receivers actually got. Fault tests end here: every (event, subscription) must
 * reach a final status, and each final status must be backed by evidence on the other side.
 */

export const FINAL_STATUSES: ReadonlySet<string> = new Set(['delivered', 'exhausted', 'skipped']);
/** The delivery record keeps this many attempts (MAX_HISTORY). */
const HISTORY_LIMIT = 20;

export interface AttemptView {
  attempt: number;
  at: string;
  outcome: 'delivered' | 'failed';
  statusCode?: number;
  reason?: string;
  error?: string;
  durationMs: number;
  nextAttemptAt?: string;
}

/** One item of `GET /v1/events/{id}/deliveries`. */
export interface DeliveryView {
  eventId: string;
  subscriptionId: string;
  status: string;
  attempts: number;
  attemptLog: AttemptView[];
}

/** eventId -> subscriptionId -> delivery record. */
export type DeliveryLog = Map<string, Map<string, DeliveryView>>;

export interface TrackedSubscription {
  /** A short name for messages: 'healthy', 'always-500', ... */
  readonly name: string;
  readonly id: string;
  readonly secret: string;
  /** Every request its receiver recorded, whatever it answered (empty when nothing listens). */
  readonly requests: readonly ReceivedRequest[];
  /**
   * Disabled along the way (410 Gone): a delivery may end `skipped`, and events fanned out after
   * the disable get no record at all. Without this a missing record is a lost delivery.
   */
  readonly mayBeDisabled?: boolean;
}

export interface SubscriptionSummary {
  delivered: number;
  exhausted: number;
  skipped: number;
  /** No record (only for `mayBeDisabled`): fan-out no longer matched it. */
  notAttempted: number;
  /** Requests the receiver recorded. */
  requests: number;
  /** Requests no recorded attempt accounts for: duplicate sends (same webhook-id). */
  duplicates: number;
}

export interface ReconcileReport {
  /** Empty when everything reconciles; otherwise one readable line per discrepancy. */
  problems: string[];
  /** Sum of `duplicates` over all subscriptions. */
  duplicates: number;
  bySubscription: Record<string, SubscriptionSummary>;
}

const webhookIdOf = (request: ReceivedRequest): string => String(request.headers['webhook-id'] ?? '');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls the API like a well-behaved client: a 5xx (the function failed, e.g. on an injected fault)
 * is retried after a short pause; anything else is returned.
 */
export const callWithRetry = async <T = any>(
  pipeline: Pick<Pipeline, 'call'>,
  method: string,
  path: string,
  options: Parameters<Pipeline['call']>[2],
  { attempts = 20, pauseMs = 100 }: { attempts?: number; pauseMs?: number } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: T; serverErrors: number }> => {
  let serverErrors = 0;
  for (let attempt = 1; ; attempt++) {
    const response = await pipeline.call<T>(method, path, options);
    if (response.status < 500 || attempt >= attempts) return { ...response, serverErrors };
    serverErrors += 1;
    await sleep(pauseMs * Math.min(attempt, 5));
  }
};

/** Every delivery record of these events, through `GET /v1/events/{id}/deliveries` (all pages). */
export const readDeliveryLog = async (
  pipeline: Pick<Pipeline, 'call'>,
  key: string,
  eventIds: readonly string[],
): Promise<DeliveryLog> => {
  const log: DeliveryLog = new Map();
  await Promise.all(
    eventIds.map(async (eventId) => {
      const records = new Map<string, DeliveryView>();
      let cursor: string | undefined;
      do {
        const query = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const response = await callWithRetry<{ items: DeliveryView[]; cursor?: string }>(
          pipeline,
          'GET',
          `/v1/events/${eventId}/deliveries?${query}`,
          { key },
        );
        if (response.status !== 200) throw new Error(`GET deliveries of ${eventId}: HTTP ${response.status} ${JSON.stringify(response.body)}`);
        for (const item of response.body.items) records.set(item.subscriptionId, item);
        cursor = response.body.cursor;
      } while (cursor !== undefined);
      log.set(eventId, records);
    }),
  );
  return log;
};

/** The (event, subscription) pairs without a final status yet, as readable strings. */
export const unsettled = (
  log: DeliveryLog,
  eventIds: readonly string[],
  subscriptions: readonly TrackedSubscription[],
): string[] => {
  const open: string[] = [];
  for (const eventId of eventIds) {
    for (const subscription of subscriptions) {
      const record = log.get(eventId)?.get(subscription.id);
      if (record === undefined) {
        if (!subscription.mayBeDisabled) open.push(`${eventId} -> ${subscription.name}: no record`);
      } else if (!FINAL_STATUSES.has(record.status)) {
        open.push(`${eventId} -> ${subscription.name}: ${record.status} after ${record.attempts} attempt(s)`);
      }
    }
  }
  return open;
};

/**
 * Runs `pump` (polls the queues, lets time pass) and reads the delivery log until every
 * (event, subscription) has a final status, or fails after `timeoutMs` naming what is still open.
 */
export const settle = async (options: {
  pump: () => Promise<void>;
  read: () => Promise<DeliveryLog>;
  eventIds: readonly string[];
  subscriptions: readonly TrackedSubscription[];
  timeoutMs: number;
}): Promise<DeliveryLog> => {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    await options.pump();
    const log = await options.read();
    const open = unsettled(log, options.eventIds, options.subscriptions);
    if (open.length === 0) return log;
    if (Date.now() > deadline) {
      throw new Error(`not settled within ${options.timeoutMs} ms:\n  ${open.slice(0, 30).join('\n  ')}`);
    }
  }
};

/**
 * Checks every (event, subscription) against the receivers:
 * - `delivered`: the receiver holds a request with that webhook-id whose signature verifies with
 *   the subscription's secret, and the log's last attempt is the successful one;
 * - `exhausted`: the log shows every attempt (up to the history limit), each failed with a reason;
 * - `skipped` / no record (only where `mayBeDisabled`): accepted, counted;
 * - anything else, or no record, is a problem (a lost delivery).
 * And every request any receiver got: a known webhook-id, signed with that subscription's secret.
 */
export const reconcile = (
  log: DeliveryLog,
  eventIds: readonly string[],
  subscriptions: readonly TrackedSubscription[],
): ReconcileReport => {
  const problems: string[] = [];
  const known = new Set(eventIds);
  const bySubscription: Record<string, SubscriptionSummary> = {};
  let duplicates = 0;

  for (const subscription of subscriptions) {
    const summary: SubscriptionSummary = { delivered: 0, exhausted: 0, skipped: 0, notAttempted: 0, requests: subscription.requests.length, duplicates: 0 };
    bySubscription[subscription.name] = summary;
    const verifiedFor = new Map<string, number>();
    const requestsFor = new Map<string, number>();
    for (const request of subscription.requests) {
      const webhookId = webhookIdOf(request);
      requestsFor.set(webhookId, (requestsFor.get(webhookId) ?? 0) + 1);
      if (!known.has(webhookId)) problems.push(`${subscription.name}: request with unknown webhook-id "${webhookId}"`);
      try {
        Receiver.verify(request, subscription.secret);
        verifiedFor.set(webhookId, (verifiedFor.get(webhookId) ?? 0) + 1);
      } catch (error) {
        problems.push(`${subscription.name}: request for ${webhookId} does not verify with its secret: ${(error as Error).message}`);
      }
    }

    for (const eventId of eventIds) {
      const record = log.get(eventId)?.get(subscription.id);
      const received = requestsFor.get(eventId) ?? 0;
      const where = `${eventId} -> ${subscription.name}`;
      if (record === undefined) {
        if (!subscription.mayBeDisabled) problems.push(`${where}: no delivery record (lost)`);
        else if (received > 0) problems.push(`${where}: ${received} request(s) but no delivery record`);
        else summary.notAttempted += 1;
        continue;
      }
      const extra = Math.max(0, received - record.attempts);
      summary.duplicates += extra;
      switch (record.status) {
        case 'delivered': {
          summary.delivered += 1;
          if ((verifiedFor.get(eventId) ?? 0) === 0) problems.push(`${where}: delivered, but the receiver holds no verified request`);
          const last = record.attemptLog.at(-1);
          if (last?.outcome !== 'delivered') problems.push(`${where}: delivered, but the last logged attempt is ${JSON.stringify(last)}`);
          break;
        }
        case 'exhausted': {
          summary.exhausted += 1;
          if (record.attempts < 1) problems.push(`${where}: exhausted without an attempt`);
          if (record.attemptLog.length !== Math.min(record.attempts, HISTORY_LIMIT)) {
            problems.push(`${where}: ${record.attempts} attempt(s) but ${record.attemptLog.length} logged`);
          }
          const unexplained = record.attemptLog.filter((a) => a.outcome !== 'failed' || !a.reason);
          if (unexplained.length > 0) problems.push(`${where}: exhausted with attempts lacking a failure reason: ${JSON.stringify(unexplained)}`);
          break;
        }
        case 'skipped':
          summary.skipped += 1;
          if (!subscription.mayBeDisabled) problems.push(`${where}: skipped although the subscription was never disabled`);
          break;
        default:
          problems.push(`${where}: not final (${record.status})`);
      }
    }
    duplicates += summary.duplicates;
  }
  return { problems, duplicates, bySubscription };
};

/** The requests of one receiver for one event, in arrival order. */
export const requestsFor = (requests: readonly ReceivedRequest[], eventId: string): ReceivedRequest[] =>
  requests.filter((request) => webhookIdOf(request) === eventId);

/** A compact table of a report, for the test output. */
export const formatReport = (report: ReconcileReport): string =>
  Object.entries(report.bySubscription)
    .map(
      ([name, s]) =>
        `${name.padEnd(16)} delivered ${s.delivered}, exhausted ${s.exhausted}, skipped ${s.skipped}, ` +
        `not attempted ${s.notAttempted}, requests ${s.requests}, duplicates ${s.duplicates}`,
    )
    .join('\n');
