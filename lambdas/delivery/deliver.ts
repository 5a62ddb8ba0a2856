import type { DeliveryMessage } from '../core/messages';
import type { AttemptLog, DeliveryRecord, DeliveryStatus, Subscription, SubscriptionOwner } from '../core/model';
import { MAX_HISTORY } from '../core/model';
import { classifyAttempt, type MadeAttempt, type NotSent, type Outcome } from '../core/outcome';
import type { DeliveryStore, EventStore, WebhookSender } from '../core/ports';
import { isOperationalEventType, OPERATIONAL_EVENT_TYPES } from '../core/event-types';
import type { RateLimiter } from '../core/rate-limit';
import type { CircuitBreaker, CircuitChange } from './circuit-breaker';
import type { EndpointConcurrency } from './endpoint-concurrency';
import type { EndpointHealth } from './endpoint-health';
import type { OperationalEvents } from './operational-events';
import { parseRetryAfter, retryDelaySeconds, visibilityTimeoutSeconds, withRetryAfter } from '../core/retry-policy';
import { deliveryBody, webhookBody } from '../core/delivery-body';
import type { TransformationResult } from '../core/transformation';
import { webhookHeaders } from './webhook-request';
import { attemptLog, baseRecord } from './delivery-record';
import { slowAttemptSlot, type SlowAttemptPolicy } from './slow-attempt-slot';

export interface DeliverDeps {
  subscriptions: {
    get(owner: SubscriptionOwner, id: string, minVersion: number): Promise<Subscription | undefined>;
    /** Reads ahead, in one request, the subscriptions a group is about to `get` (SubscriptionCache). */
    prefetch?(owner: SubscriptionOwner, wanted: ReadonlyArray<{ id: string; version: number }>): void;
    /** Takes copies read elsewhere at `fetchedAt` (a group's sealed subscriptions) as if read then (SubscriptionCache). */
    seed?(subscriptions: readonly Subscription[], fetchedAt: number): void;
  };
  health: EndpointHealth;
  breaker: Pick<CircuitBreaker, 'waitFor' | 'admit' | 'afterAttempt'>;
  slowAttempts: SlowAttemptPolicy;
  /** Requests in flight from this instance per endpoint, capped. */
  concurrency: Pick<EndpointConcurrency, 'tryEnter' | 'enter' | 'leave'>;
  rateLimiter: RateLimiter;
  operationalEvents: OperationalEvents;
  deliveries: DeliveryStore;
  events: EventStore;
  sender: WebhookSender;
  retrySchedule: readonly number[];
  timeoutMs: number;
  deliveryLogRetentionDays: number;
  now: () => number;
  random: () => number;
}

export interface Receipt {
  /** How often SQS has handed this message out, this time included. */
  receiveCount: number;
  /** When this receive happened (ms); visibility changes are bounded from it. */
  receivedAt: number;
  signal?: AbortSignal;
  /**
   * The message is one delivery of a group message: a first attempt of the event's first run that
   * delivers is logged in the group's item (its decision says `loggedWithGroup`), not in a record of its own.
   */
  inGroup?: boolean;
}

/** What an attempt made tells the metrics beyond its log entry. */
export interface AttemptContext {
  attempt?: AttemptLog;
  circuit?: CircuitChange;
  /** When the attempt was due by the delivery record it followed; absent for a run's first attempt. */
  dueAt?: string;
  /** The subscription has a rate limit: its waits are by design, not lag. */
  rateLimited?: true;
  /** This attempt disabled the subscription. */
  disabledSubscription?: true;
}

/** What the adapter does with the message: delete it, or hide it for a while and report it failed. */
export type Decision =
  | ({
      action: 'done';
      status: DeliveryStatus | 'duplicate' | 'event_gone' | 'subscription_gone';
      loggedWithGroup?: true;
      /** Why a delivery ended without an attempt (its transformation cancelled or failed it). */
      reason?: DeliveryRecord['reason'];
    } & AttemptContext)
  | ({ action: 'retry_later'; visibilitySeconds: number; deferred?: Deferral } & AttemptContext);

/**
 * Why a delivery waits without an attempt: the endpoint's circuit is open, this instance already
 * has as many requests in flight to it as it may, it is over its rate limit, no pooled connection
 * came free in time, or the invocation was ending before the request could be sent. Nothing is
 * recorded.
 */
export type Deferral = 'circuit_open' | 'endpoint_busy' | 'rate_limited' | NotSent['reason'];

/** A delivery whose request never left waits this long (plus up to as much again) before it is tried again. */
const NOT_SENT_DELAY_SECONDS = 2;

const EXHAUSTED: Plan = { status: 'exhausted', decision: { action: 'done', status: 'exhausted' } };

const FINAL_STATUSES: ReadonlySet<DeliveryStatus> = new Set(['delivered', 'exhausted', 'skipped']);
/** A message that reappears this close to its due time is attempted rather than hidden again. */
const DUE_SLACK_MS = 1000;

/**
 * One delivery message: decide from the delivery record whether an attempt is due, make it,
 * classify it, record it (the record's attempt count is the source of truth), and say when the
 * message should come back, if ever.
 */
export const deliver = async (message: DeliveryMessage, receipt: Receipt, deps: DeliverDeps): Promise<Decision> => {
  const nowMs = deps.now();
  const subscription = await deps.subscriptions.get(message, message.subscriptionId, message.subscriptionVersion);
  if (subscription === undefined) return { action: 'done', status: 'subscription_gone' };
  if (!subscription.enabled) return deliverNow(message, receipt, deps, subscription, nowMs);

  // Checked before anything is read: a delivery to an endpoint whose circuit is open costs nothing more.
  const circuitWait = waitForCircuit(subscription, receipt, deps, nowMs);
  if (circuitWait !== undefined) return circuitWait;
  if (deps.concurrency.tryEnter(message.tenantId, subscription.id)) return deliverEntered(message, receipt, deps, subscription, nowMs);
  // A healthy endpoint's line moves within moments; a delivery still in line after that waits
  // without an attempt. Either way the circuit may have opened meanwhile.
  const entered = await deps.concurrency.enter(message.tenantId, subscription.id, LINE_WAIT_MS);
  let current: Subscription;
  try {
    current = (await deps.subscriptions.get(message, subscription.id, message.subscriptionVersion)) ?? subscription;
  } catch (error) {
    if (entered) deps.concurrency.leave(message.tenantId, subscription.id);
    throw error;
  }
  const now = deps.now();
  const opened = waitForCircuit(current, receipt, deps, now);
  if (opened !== undefined || !entered) {
    if (entered) deps.concurrency.leave(message.tenantId, subscription.id);
    return opened ?? deferWithout('endpoint_busy', shortWaitMs(deps), receipt, now);
  }
  return deliverEntered(message, receipt, deps, current, now);
};

/** `deliverNow` holding a place in the endpoint's line, given back however it ends. */
const deliverEntered = async (message: DeliveryMessage, receipt: Receipt, deps: DeliverDeps, subscription: Subscription, nowMs: number): Promise<Decision> => {
  try {
    return await deliverNow(message, receipt, deps, subscription, nowMs);
  } finally {
    deps.concurrency.leave(message.tenantId, subscription.id);
  }
};

/** How long a delivery waits in line for its endpoint before it is deferred. */
const LINE_WAIT_MS = 250;

/** The deferral of a delivery whose endpoint's circuit is open (decided from the copy given, nothing read); undefined when it may be called. */
export const waitForCircuit = (subscription: Subscription, receipt: Receipt, deps: Pick<DeliverDeps, 'breaker' | 'random'>, nowMs: number): Decision | undefined => {
  const waitMs = deps.breaker.waitFor(subscription, nowMs, deps.random());
  return waitMs === undefined ? undefined : deferWithout('circuit_open', waitMs, receipt, nowMs);
};

/** A wait of 2 to 4 s, for deliveries that could not be tried now for a reason of this moment. */
const shortWaitMs = (deps: Pick<DeliverDeps, 'random'>): number => (NOT_SENT_DELAY_SECONDS + deps.random() * NOT_SENT_DELAY_SECONDS) * 1000;

/** The rest of `deliver` once the endpoint may be called: the record, the probe, the rate limit, the attempt and what follows. */
const deliverNow = async (
  message: DeliveryMessage,
  receipt: Receipt,
  deps: DeliverDeps,
  subscription: Subscription,
  nowMs: number,
): Promise<Decision> => {
  // A first receive of a first run cannot have a record yet, unless a group attempted it before
  // handing it over: skip the read on the common path.
  const existing =
    receipt.receiveCount > 1 || message.run !== message.eventId || message.followsAttempt
      ? await deps.deliveries.get(message.tenantId, message.subscriptionId, message.eventId)
      : undefined;
  const previous = existing !== undefined && existing.run === message.run ? existing : undefined;
  if (existing !== undefined && existing.run > message.run) return { action: 'done', status: 'duplicate' };
  if (previous !== undefined && FINAL_STATUSES.has(previous.status)) return { action: 'done', status: 'duplicate' };
  if (previous?.nextAttemptAt !== undefined) {
    const waitMs = Date.parse(previous.nextAttemptAt) - nowMs;
    if (waitMs > DUE_SLACK_MS) return deferUntilDue(waitMs, receipt, nowMs);
  }
  const previousAttempts = previous?.attempts ?? 0;

  if (!subscription.enabled) {
    const record = baseRecord(message, previous, nowMs, deps.deliveryLogRetentionDays);
    const skipped = await commit({ ...record, status: 'skipped' }, previousAttempts, { action: 'done', status: 'skipped' }, message, receipt, deps);
    return skipped.decision;
  }

  // A transformation decides before the endpoint is spent on: a delivery it cancels or fails
  // takes neither the circuit's probe nor a rate-limit token, and sends nothing.
  let transformed: string | undefined;
  if (subscription.transformation !== undefined) {
    const data = await eventData(message, deps);
    if (data === undefined) return { action: 'done', status: 'event_gone' };
    const result = await deliveryBody(subscription.transformation, message, data.dataJson);
    if (result.kind !== 'body') return endWithoutAttempt(result, message, previous, receipt, deps);
    transformed = result.body;
  }

  // Only an attempt that will be made may claim the probe of an open circuit.
  const admission = await deps.breaker.admit(subscription, nowMs, deps.random());
  if (admission.kind === 'wait') return deferWithout('circuit_open', admission.waitMs, receipt, nowMs);
  const probe = admission.kind === 'probe';

  if (subscription.rateLimitPerSecond !== undefined) {
    const rate = await deps.rateLimiter.acquire(message.tenantId, subscription.id, subscription.rateLimitPerSecond, nowMs);
    // Over the limit is a deferral, not a failure: no attempt is counted and nothing is recorded.
    if (!rate.allowed) return deferWithout('rate_limited', rate.retryInSeconds * 1000, receipt, nowMs);
  }

  let body = transformed;
  if (body === undefined) {
    const data = await eventData(message, deps);
    if (data === undefined) return { action: 'done', status: 'event_gone' };
    body = webhookBody(message, data.dataJson);
  }

  const attemptNumber = previousAttempts + 1;
  const sentAt = deps.now();
  const slot = slowAttemptSlot(message, deps.slowAttempts, deps.timeoutMs, deps.now);
  const result = await deps.sender.send({
    url: subscription.url,
    headers: webhookHeaders(subscription, message.eventId, body, sentAt),
    body,
    timeoutMs: deps.timeoutMs,
    ...(receipt.signal ? { signal: receipt.signal } : {}),
    ...(slot.slow ? { slow: slot.slow } : {}),
  });
  await slot.release();
  if (result.kind === 'not_sent') {
    // Nothing reached the receiver: not an attempt, so nothing is counted or recorded.
    return deferWithout(result.reason, shortWaitMs(deps), receipt, deps.now());
  }
  const outcome = classifyAttempt(result);
  const finishedAt = deps.now();
  const circuit = await deps.breaker.afterAttempt(subscription, result, finishedAt, probe);
  const health = outcome.action === 'delivered' ? 'delivered' : outcome.action === 'disable' ? 'gone' : 'failed';
  const disabledReason = await deps.health.afterAttempt(subscription, health, finishedAt);
  const scheduled = planNext(outcome, result, attemptNumber, finishedAt, receipt, deps);
  // A subscription disabled now gets no further attempts: this delivery ends here, recoverable later.
  const plan = disabledReason !== undefined && scheduled.status === 'retrying' ? EXHAUSTED : scheduled;
  const attempt = attemptLog(attemptNumber, sentAt, result, outcome, plan.nextAttemptAt);

  const record: DeliveryRecord = {
    ...baseRecord(message, previous, finishedAt, deps.deliveryLogRetentionDays),
    status: plan.status,
    attempts: attemptNumber,
    lastAttemptAt: attempt.at,
    history: [...(previous?.history ?? []), attempt].slice(-MAX_HISTORY),
    ...(plan.nextAttemptAt ? { nextAttemptAt: plan.nextAttemptAt } : {}),
  };
  const context: AttemptContext = {
    attempt,
    ...(circuit === undefined ? {} : { circuit }),
    ...(previous?.nextAttemptAt === undefined ? {} : { dueAt: previous.nextAttemptAt }),
    ...(subscription.rateLimitPerSecond === undefined ? {} : { rateLimited: true }),
    ...(disabledReason === undefined ? {} : { disabledSubscription: true }),
  };
  const { decision, recorded } = await commit(record, previousAttempts, { ...plan.decision, ...context }, message, receipt, deps);
  if (recorded) {
    if (disabledReason !== undefined) {
      await deps.operationalEvents.emit(
        message.tenantId,
        OPERATIONAL_EVENT_TYPES.subscriptionDisabled,
        { subscriptionId: subscription.id, url: subscription.url, reason: disabledReason, disabledAt: new Date(finishedAt).toISOString() },
        `${subscription.id}:disabled:${subscription.version}`,
      );
    }
    if (plan.status === 'exhausted') await emitExhausted(message, attemptNumber, attempt, deps);
  }
  return decision;
};

/** The event's data: carried by the message, or read; undefined when the event is gone. */
const eventData = async (message: DeliveryMessage, deps: DeliverDeps): Promise<{ dataJson: string | undefined } | undefined> => {
  if (message.hasData) return { dataJson: message.dataJson };
  const event = await deps.events.getEvent(message.tenantId, message.eventId);
  return event === undefined ? undefined : { dataJson: event.dataJson };
};

/**
 * A delivery its transformation cancelled (`skipped`) or failed (`exhausted`: the same input fails
 * the same way, so it is never retried): recorded with the reason, no attempt made or counted.
 */
const endWithoutAttempt = async (
  result: Exclude<TransformationResult, { kind: 'body' }>,
  message: DeliveryMessage,
  previous: DeliveryRecord | undefined,
  receipt: Receipt,
  deps: DeliverDeps,
): Promise<Decision> => {
  const status = result.kind === 'cancelled' ? 'skipped' : 'exhausted';
  const reason = result.kind === 'cancelled' ? 'cancelled_by_transformation' : 'transformation_failed';
  const record: DeliveryRecord = {
    ...baseRecord(message, previous, deps.now(), deps.deliveryLogRetentionDays),
    status,
    reason,
    ...(result.kind === 'failed' ? { error: result.message } : {}),
  };
  const { decision, recorded } = await commit(record, record.attempts, { action: 'done', status, reason }, message, receipt, deps);
  if (recorded && status === 'exhausted') await emitExhausted(message, record.attempts, { reason }, deps);
  return decision;
};

/** `webhook.delivery.exhausted`; operational events never report on themselves, so a failing receiver of them cannot loop. */
const emitExhausted = async (
  message: DeliveryMessage,
  attempts: number,
  last: Pick<AttemptLog, 'statusCode' | 'reason'>,
  deps: DeliverDeps,
): Promise<void> => {
  if (isOperationalEventType(message.eventType)) return;
  await deps.operationalEvents.emit(
    message.tenantId,
    OPERATIONAL_EVENT_TYPES.deliveryExhausted,
    {
      eventId: message.eventId,
      eventType: message.eventType,
      subscriptionId: message.subscriptionId,
      attempts,
      ...(last.statusCode === undefined ? {} : { lastStatusCode: last.statusCode }),
      ...(last.reason === undefined ? {} : { reason: last.reason }),
    },
    `${message.eventId}:${message.subscriptionId}:${message.run}:exhausted`,
  );
};

interface Plan {
  status: DeliveryStatus;
  nextAttemptAt?: string;
  decision: Decision;
}

const planNext = (
  outcome: Outcome,
  result: MadeAttempt,
  attemptNumber: number,
  nowMs: number,
  receipt: Receipt,
  deps: DeliverDeps,
): Plan => {
  if (outcome.action === 'delivered') return { status: 'delivered', decision: { action: 'done', status: 'delivered' } };
  if (outcome.action !== 'retry') return EXHAUSTED;
  const scheduled = retryDelaySeconds(deps.retrySchedule, attemptNumber, deps.random);
  if (scheduled === undefined) return EXHAUSTED;
  const retryAfter =
    outcome.throttled && result.kind === 'response' ? parseRetryAfter(result.retryAfter, nowMs) : undefined;
  const delaySeconds = withRetryAfter(scheduled, retryAfter);
  return {
    status: 'retrying',
    nextAttemptAt: new Date(nowMs + delaySeconds * 1000).toISOString(),
    decision: {
      action: 'retry_later',
      visibilitySeconds: visibilityTimeoutSeconds(delaySeconds, (nowMs - receipt.receivedAt) / 1000),
    },
  };
};

type RetryLater = Extract<Decision, { action: 'retry_later' }>;

const deferUntilDue = (waitMs: number, receipt: Receipt, nowMs: number): RetryLater => ({
  action: 'retry_later',
  visibilitySeconds: Math.max(1, visibilityTimeoutSeconds(waitMs / 1000, (nowMs - receipt.receivedAt) / 1000)),
});

/** A wait that is not an attempt: nothing was sent, counted or recorded. */
const deferWithout = (reason: Deferral, waitMs: number, receipt: Receipt, nowMs: number): RetryLater => ({
  ...deferUntilDue(waitMs, receipt, nowMs),
  deferred: reason,
});

/** The first attempt of an event's first run, delivered: what a group logs together. */
const isFirstSuccess = (record: DeliveryRecord, previousAttempts: number): boolean =>
  previousAttempts === 0 && record.status === 'delivered' && record.run === record.eventId && record.history.at(-1)?.attempt === 1;

/**
 * Records the attempt conditionally (a group's first successes are logged by the group instead). A conflict means another receive of the same message got
 * there first: follow what it recorded instead of overwriting it.
 */
const commit = async (
  record: DeliveryRecord,
  previousAttempts: number,
  decision: Decision,
  message: DeliveryMessage,
  receipt: Receipt,
  deps: DeliverDeps,
): Promise<{ decision: Decision; recorded: boolean }> => {
  if (receipt.inGroup && decision.action === 'done' && isFirstSuccess(record, previousAttempts)) {
    return { decision: { ...decision, loggedWithGroup: true }, recorded: true };
  }
  const result = await deps.deliveries.recordAttempt(record, previousAttempts);
  if (result === 'recorded') return { decision, recorded: true };
  const winner = await deps.deliveries.get(message.tenantId, message.subscriptionId, message.eventId);
  if (winner === undefined || winner.run > message.run || FINAL_STATUSES.has(winner.status)) {
    return { decision: { action: 'done', status: 'duplicate' }, recorded: false };
  }
  const nowMs = deps.now();
  const dueIn = winner.nextAttemptAt === undefined ? 0 : Date.parse(winner.nextAttemptAt) - nowMs;
  // The winner's wait can be a full jittered step (up to 12 h): cap it like any other deferral.
  return { decision: deferUntilDue(dueIn, receipt, nowMs), recorded: false };
};
