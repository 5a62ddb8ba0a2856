import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createDynamoClient, createSqsClient } from '../aws/clients';
import { DynamoDeliveryStore } from '../aws/dynamo-delivery-store';
import { DynamoEventStore } from '../aws/dynamo-event-store';
import { DynamoRateLimiter } from '../aws/dynamo-rate-limiter';
import { DynamoSlowAttemptSlots } from '../aws/dynamo-slow-attempt-slots';
import { DynamoSubscriptionStore } from '../aws/dynamo-subscription-store';
import { NodeHttpSender } from '../aws/http-sender';
import { invocationDeadline } from '../aws/invocation-deadline';
import { createMetrics, deliveryMeasurements, deliveryObservation, InvocationMetrics, observeReads } from '../aws/metrics';
import { createLogger, sampledLevel } from '../aws/observability';
import { parseOrDeadLetter, processSqsBatch } from '../aws/sqs-batch';
import { SqsPublisher } from '../aws/sqs-publisher';
import { SqsQueueOps, type ReceivedMessage } from '../aws/sqs-queue-ops';
import { requireString } from '../core/config';
import { parseDeliveryPolicy } from '../core/delivery-config';
import { ENV } from '../core/env-names';
import { DELIVERY_GROUP_SIZE, deliveryQueueMessageSchema, isGroupMessage, type DeliveryMessage } from '../core/messages';
import { deliver, type DeliverDeps, type Decision, type Receipt } from './deliver';
import { deliverGroup, type DeliverGroupDeps, type DeliverOne } from './deliver-group';
import { BREAKER_TIMINGS, CircuitBreaker } from './circuit-breaker';
import { EndpointConcurrency } from './endpoint-concurrency';
import { EndpointHealthTracker } from './endpoint-health';
import { operationalEventsVia } from './operational-events';
import { SubscriptionCache } from './subscription-cache';
import { workWhileWaiting } from './work-while-waiting';

const env = process.env;
const config = {
  deliveriesTable: requireString(env, ENV.deliveriesTable),
  subscriptionsTable: requireString(env, ENV.subscriptionsTable),
  eventsTable: requireString(env, ENV.eventsTable),
  deliveryQueueUrl: requireString(env, ENV.deliveryQueueUrl),
  deliveryDlqUrl: requireString(env, ENV.deliveryDlqUrl),
  fanoutQueueUrl: requireString(env, ENV.fanoutQueueUrl),
  ...parseDeliveryPolicy(env),
};

/** Requests at once from one instance to one endpoint; more wait 2 to 4 s (not attempts). */
const MAX_IN_FLIGHT_PER_ENDPOINT = 10;

/** How long a cached subscription may hide a later disable or deletion from delivery. */
const SUBSCRIPTION_CACHE_MS = 30_000;

const dynamo = createDynamoClient();
const sqs = createSqsClient();
const logger = createLogger('delivery');
const metrics = createMetrics(logger);
const queueOps = new SqsQueueOps(sqs);
const deadLetter = { queueOps, deadLetterQueueUrl: config.deliveryDlqUrl, logger };
const subscriptionStore = new DynamoSubscriptionStore(dynamo, config.subscriptionsTable);
const cache = new SubscriptionCache(subscriptionStore, SUBSCRIPTION_CACHE_MS);
const events = new DynamoEventStore(dynamo, config.eventsTable);
const deliveryStore = new DynamoDeliveryStore(dynamo, config.deliveriesTable);
const deps: DeliverDeps = {
  subscriptions: cache,
  health: new EndpointHealthTracker(
    subscriptionStore,
    config.disableFailingAfterSeconds * 1000,
    (s) => cache.remember(s),
    (error) => logger.warn('endpoint health not written', { error }),
  ),
  breaker: new CircuitBreaker(
    subscriptionStore,
    { failureThreshold: config.circuitBreakerThreshold, ...BREAKER_TIMINGS },
    (s) => cache.remember(s),
    (error) => logger.warn('attempt not counted by the circuit breaker', { error }),
  ),
  concurrency: new EndpointConcurrency(MAX_IN_FLIGHT_PER_ENDPOINT),
  slowAttempts: {
    slots: new DynamoSlowAttemptSlots(dynamo, config.deliveriesTable),
    afterMs: config.slowAttemptMs,
    limit: config.maxSlowAttemptsPerEndpoint,
    onError: (error) => logger.warn('slow-attempt slot not checked', { error }),
  },
  operationalEvents: operationalEventsVia(
    {
      events,
      fanout: new SqsPublisher(sqs, { fanoutQueueUrl: config.fanoutQueueUrl }),
      now: Date.now,
      eventRetentionDays: config.eventRetentionDays,
    },
    (error) => logger.error('operational event not published', { error }),
  ),
  deliveries: deliveryStore,
  rateLimiter: new DynamoRateLimiter(dynamo, config.deliveriesTable),
  events,
  sender: new NodeHttpSender(config.targetPolicy),
  retrySchedule: config.retrySchedule,
  timeoutMs: config.timeoutMs,
  deliveryLogRetentionDays: config.deliveryLogRetentionDays,
  now: Date.now,
  random: Math.random,
};

const groupDeps: DeliverGroupDeps = {
  ...deps,
  groups: deliveryStore,
  splitOuts: new SqsPublisher(sqs, { deliveryQueueUrl: config.deliveryQueueUrl }),
};

/** Thrown after the message's visibility was set, so the batch reports it and SQS keeps it. */
class RetryLaterError extends Error {
  override name = 'RetryLaterError';
}

/**
 * One line per message. Successes are the bulk of all lines, and the delivery record keeps every
 * attempt anyway, so only a sampled share of them is written at INFO (all of them at DEBUG);
 * failures and deferrals at INFO, exhaustion at WARN.
 */
const logDecision = (message: DeliveryMessage, decision: Decision): void => {
  const level =
    decision.action === 'done' && decision.status === 'delivered'
      ? sampledLevel(logger, config.successLogSampleRate, deps.random)
      : decision.action === 'done' && decision.status === 'exhausted'
        ? 'warn'
        : 'info';
  if (level === undefined) return;
  logger[level]('delivery', {
    tenantId: message.tenantId,
    eventId: message.eventId,
    subscriptionId: message.subscriptionId,
    action: decision.action,
    ...('status' in decision ? { status: decision.status } : { retryInSeconds: decision.visibilitySeconds, deferred: decision.deferred }),
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

/** One subscription's delivery, logged and measured, with the deps it is given (a group's stand in for the stores). */
const deliverMeasured =
  (receipt: Receipt, measured: InvocationMetrics): DeliverOne =>
  async (message, withDeps) => {
    const observed = observeReads(withDeps);
    const decision = await deliver(message, receipt, observed.deps);
    logDecision(message, decision);
    measured.add(deliveryMeasurements(deliveryObservation(message, decision, observed.reads)));
    return decision;
  };

const handleMessage = async (record: ReceivedMessage, receivedAt: number, signal: AbortSignal, measured: InvocationMetrics): Promise<void> => {
  const message = await parseOrDeadLetter(record, deliveryQueueMessageSchema, deadLetter);
  if (message === undefined) return;
  const receipt = { receiveCount: record.receiveCount, receivedAt, signal };
  if (isGroupMessage(message)) {
    // Each delivery that needs another attempt left the group as a message of its own, unless
    // none was attempted: then the group waits whole.
    const { retryGroupInSeconds } = await deliverGroup(message, receipt, groupDeps, deliverMeasured(receipt, measured));
    if (retryGroupInSeconds === undefined) return;
    await queueOps.changeVisibility(config.deliveryQueueUrl, record.receiptHandle, retryGroupInSeconds);
    throw new RetryLaterError(`group retried in ${retryGroupInSeconds} s`);
  }
  const decision = await deliverMeasured(receipt, measured)(message, deps);
  if (decision.action === 'retry_later') {
    await queueOps.changeVisibility(config.deliveryQueueUrl, record.receiptHandle, decision.visibilitySeconds);
    throw new RetryLaterError(`retry in ${decision.visibilitySeconds} s`);
  }
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

const takeWhileWaiting = (own: Promise<unknown>, context: Context, signal: AbortSignal, measured: InvocationMetrics) =>
  workWhileWaiting(
    own,
    {
      receive: (max) => queueOps.receive(config.deliveryQueueUrl, max, TAKE_WAIT_SECONDS),
      handle: (message, receivedAt) => handleMessage(message, receivedAt, signal, measured),
      remove: (message) => queueOps.delete(config.deliveryQueueUrl, message.receiptHandle),
      remainingMs: () => context.getRemainingTimeInMillis(),
      now: Date.now,
      onError: (error) => logger.warn('taking work while waiting failed', { error }),
    },
    {
      // An invocation whose own batch has a slow attempt is held for a while anyway.
      startAfterMs: config.slowAttemptMs,
      // A message taken needs time for a whole attempt, its record, and the early stop.
      stopWhenRemainingMs: config.timeoutMs + STOP_BEFORE_DEADLINE_MS + TAKE_WAIT_SECONDS * 1000 + 1_000,
      maxInFlight: MAX_TAKEN_IN_FLIGHT,
    },
  );

// middy's own early timeout is off: its signal is shared by every invocation of the module.
export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>({ timeoutEarlyInMillis: 0 })
  .use(logMetrics(metrics, { throwOnEmptyMetrics: false }))
  .handler(async (event, context) => {
    // Up to ten deliveries of each group message, its own or taken, listen on the signal at once.
    const listeners = (event.Records.length + MAX_TAKEN_IN_FLIGHT) * DELIVERY_GROUP_SIZE;
    const deadline = invocationDeadline(context, STOP_BEFORE_DEADLINE_MS, listeners);
    const receivedAt = Date.now();
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
