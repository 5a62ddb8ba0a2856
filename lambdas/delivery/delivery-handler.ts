import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { invocationDeadline } from '../aws/invocation-deadline';
import { deliveryMeasurements, deliveryObservation, InvocationMetrics } from '../aws/metrics';
import { sampledLevel } from '../aws/logger';
import { parseOrDeadLetter, processSqsBatch } from '../aws/sqs-batch';
import type { ReceivedMessage, SqsQueueOps } from '../aws/sqs-queue-ops';
import { DELIVERY_GROUP_SIZE, deliveryQueueMessageSchema, isGroupMessage, type DeliveryMessage } from '../core/messages';
import { deliver, type DeliverDeps, type Decision } from './deliver';
import { deliverGroup, type DeliverGroupDeps, type DeliverOne, type ObserveWaitingGroup } from './deliver-group';
import { SharedReceive } from './shared-receive';
import { workWhileWaiting } from './work-while-waiting';

/** What the delivery function works with; the production set is built from the environment in handler.ts. */
export interface DeliveryHandlerDeps {
  /** What each delivery uses: the stores, the sender, the endpoint's breaker, health and limits, the clock. */
  deliver: DeliverDeps;
  /** What a group message adds: its log, the publisher of the retries split out of it, and the key its sealed subscriptions open with. */
  group: Pick<DeliverGroupDeps, 'groups' | 'splitOuts' | 'snapshotKeys'>;
  queueOps: SqsQueueOps;
  deliveryQueueUrl: string;
  deliveryDlqUrl: string;
  /** Share of successful deliveries logged at INFO. */
  successLogSampleRate: number;
  logger: Logger;
  metrics: Metrics;
}

/** Thrown after the message's visibility was set, so the batch reports it and SQS keeps it. */
class RetryLaterError extends Error {
  override name = 'RetryLaterError';
}

/**
 * One line per message. Successes are the bulk of all lines, and the delivery record keeps every
 * attempt anyway, so only a sampled share of them is written at INFO (all of them at DEBUG);
 * failures and deferrals at INFO, exhaustion at WARN.
 */
const logDecision = (deps: DeliveryHandlerDeps, message: DeliveryMessage, decision: Decision): void => {
  const { logger } = deps;
  const level =
    decision.action === 'done' && decision.status === 'delivered'
      ? sampledLevel(logger, deps.successLogSampleRate, deps.deliver.random)
      : decision.action === 'done' && decision.status === 'exhausted'
        ? 'warn'
        : 'info';
  if (level === undefined) return;
  logger[level]('delivery', {
    tenantId: message.tenantId,
    eventId: message.eventId,
    subscriptionId: message.subscriptionId,
    action: decision.action,
    ...('status' in decision ? { status: decision.status, ...(decision.reason === undefined ? {} : { reason: decision.reason }) } : { retryInSeconds: decision.visibilitySeconds, deferred: decision.deferred }),
    ...(decision.attempt
      ? {
          attempt: decision.attempt.attempt,
          statusCode: decision.attempt.statusCode,
          reason: decision.attempt.reason,
          // A transport failure's own words (`wrong version number`, `connect ECONNREFUSED ...`).
          error: decision.attempt.error,
          durationMs: decision.attempt.durationMs,
        }
      : {}),
  });
};

/**
 * A group back while every one of its circuits is open: one `delivery` line naming all its
 * subscriptions rather than one per delivery (they wait for the same reason, and the group comes
 * back whole, when the first of them may go).
 */
const logWaitingGroup = (deps: DeliveryHandlerDeps, messages: DeliveryMessage[], decisions: Decision[]): void => {
  const waits = decisions.map((decision) => (decision.action === 'retry_later' ? decision : undefined));
  deps.logger.info('delivery', {
    tenantId: messages[0]!.tenantId,
    eventId: messages[0]!.eventId,
    subscriptionIds: messages.map((message) => message.subscriptionId),
    action: 'retry_later',
    retryInSeconds: Math.min(...waits.map((wait) => wait?.visibilitySeconds ?? 0)),
    deferred: waits[0]?.deferred,
  });
};

const fromRecord = (record: SQSRecord): ReceivedMessage => ({
  messageId: record.messageId,
  receiptHandle: record.receiptHandle,
  body: record.body,
  receiveCount: Number(record.attributes.ApproximateReceiveCount),
});

/** Deliveries still in flight this long before the invocation's deadline stop, so their outcome is recorded. */
const STOP_BEFORE_DEADLINE_MS = 2_000;
/** Messages an invocation held up by slow attempts takes from the queue and has in flight at once, at most. */
const MAX_TAKEN_IN_FLIGHT = 20;
/**
 * Long poll of those takes: short, so an invocation whose own batch is done returns soon after
 * (a short poll would return at once, but an invocation held for seconds would then poll many
 * times a second).
 */
const TAKE_WAIT_SECONDS = 1;

/** The delivery function's handler: each message of the batch delivered, logged and measured. */
export const createDeliveryHandler = (deps: DeliveryHandlerDeps) => {
  const { queueOps, deliveryQueueUrl, logger, metrics } = deps;
  const deadLetter = { queueOps, deadLetterQueueUrl: deps.deliveryDlqUrl, logger };
  const groupDeps: DeliverGroupDeps = { ...deps.deliver, ...deps.group };

  /** A delivery's decision, logged and measured. */
  const observed = (measured: InvocationMetrics) => (message: DeliveryMessage, decision: Decision) => {
    logDecision(deps, message, decision);
    measured.add(deliveryMeasurements(deliveryObservation(message, decision)));
  };

  /** A group waiting whole on open circuits: one line for all its deliveries, each measured. */
  const observedWaiting =
    (measured: InvocationMetrics): ObserveWaitingGroup =>
    (messages, decisions) => {
      logWaitingGroup(deps, messages, decisions);
      messages.forEach((message, index) => measured.add(deliveryMeasurements(deliveryObservation(message, decisions[index]!))));
    };

  /** One subscription's delivery, logged and measured, with the deps it is given (a group's stand in for the stores). */
  const deliverMeasured =
    (measured: InvocationMetrics): DeliverOne =>
    async (message, receipt, withDeps) => {
      const decision = await deliver(message, receipt, withDeps);
      observed(measured)(message, decision);
      return decision;
    };

  const handleMessage = async (record: ReceivedMessage, receivedAt: number, signal: AbortSignal, measured: InvocationMetrics): Promise<void> => {
    const message = await parseOrDeadLetter(record, deliveryQueueMessageSchema, deadLetter);
    if (message === undefined) return;
    const receipt = { receiveCount: record.receiveCount, receivedAt, signal };
    if (isGroupMessage(message)) {
      // Each delivery that needs another attempt left the group as a message of its own, unless
      // none was attempted: then the group waits whole.
      const { retryGroupInSeconds } = await deliverGroup(message, receipt, groupDeps, deliverMeasured(measured), observedWaiting(measured));
      if (retryGroupInSeconds === undefined) return;
      await queueOps.changeVisibility(deliveryQueueUrl, record.receiptHandle, retryGroupInSeconds);
      throw new RetryLaterError(`group retried in ${retryGroupInSeconds} s`);
    }
    const decision = await deliverMeasured(measured)(message, receipt, deps.deliver);
    if (decision.action === 'retry_later') {
      await queueOps.changeVisibility(deliveryQueueUrl, record.receiptHandle, decision.visibilitySeconds);
      throw new RetryLaterError(`retry in ${decision.visibilitySeconds} s`);
    }
  };

  // Every invocation of this instance that takes work shares one receive at a time.
  const takes = new SharedReceive((max) => queueOps.receive(deliveryQueueUrl, max, TAKE_WAIT_SECONDS));
  const takeWhileWaiting = (own: Promise<unknown>, context: Context, signal: AbortSignal, measured: InvocationMetrics) =>
    workWhileWaiting(
      own,
      {
        receive: (max) => takes.take(max),
        handle: (message, receivedAt) => handleMessage(message, receivedAt, signal, measured),
        remove: (message) => queueOps.delete(deliveryQueueUrl, message.receiptHandle),
        remainingMs: () => context.getRemainingTimeInMillis(),
        now: deps.deliver.now,
        onError: (error) => logger.warn('taking work while waiting failed', { error }),
      },
      {
        // An invocation whose own batch has a slow attempt is held for a while anyway.
        startAfterMs: deps.deliver.slowAttempts.afterMs,
        // A message taken needs time for a whole attempt, its record, and the early stop.
        stopWhenRemainingMs: deps.deliver.timeoutMs + STOP_BEFORE_DEADLINE_MS + TAKE_WAIT_SECONDS * 1000 + 1_000,
        maxInFlight: MAX_TAKEN_IN_FLIGHT,
      },
    );

  // middy's own early timeout is off: its signal is shared by every invocation of the module.
  return middy<SQSEvent, SQSBatchResponse, Error, Context>({ timeoutEarlyInMillis: 0 })
    .use(logMetrics(metrics, { throwOnEmptyMetrics: false }))
    .handler(async (event, context) => {
      // Up to ten deliveries of each group message, its own or taken, listen on the signal at once.
      const listeners = (event.Records.length + MAX_TAKEN_IN_FLIGHT) * DELIVERY_GROUP_SIZE;
      const deadline = invocationDeadline(context, STOP_BEFORE_DEADLINE_MS, listeners);
      const receivedAt = deps.deliver.now();
      const measured = new InvocationMetrics();
      try {
        const own = processSqsBatch(event, (record) => handleMessage(fromRecord(record), receivedAt, deadline.signal, measured));
        const [response] = await Promise.all([own, takeWhileWaiting(own, context, deadline.signal, measured)]);
        return response;
      } finally {
        deadline.dispose();
        measured.publishTo(metrics);
      }
    });
};
