import { createDynamoClient, createSqsClient } from '../aws/clients';
import { DynamoApiKeyStore } from '../aws/dynamo-api-key-store';
import { DynamoDeliveryStore } from '../aws/dynamo-delivery-store';
import { DynamoEventStore } from '../aws/dynamo-event-store';
import { DynamoRateLimiter } from '../aws/dynamo-rate-limiter';
import { DynamoSlowAttemptSlots } from '../aws/dynamo-slow-attempt-slots';
import { DynamoSubscriptionStore } from '../aws/dynamo-subscription-store';
import { NodeHttpSender } from '../aws/http-sender';
import { createMetrics } from '../aws/metrics';
import { createLogger } from '../aws/logger';
import { SqsPublisher } from '../aws/sqs-publisher';
import { SqsQueueOps } from '../aws/sqs-queue-ops';
import type { Env } from '../core/config';
import { parseDeliveryPolicy } from '../core/delivery-config';
import { requireResources } from '../core/resource-env';
import { BREAKER_TIMINGS, CircuitBreaker } from './circuit-breaker';
import { createDeliveryHandler, type DeliveryHandlerDeps } from './delivery-handler';
import { EndpointConcurrency } from './endpoint-concurrency';
import { EndpointHealthTracker } from './endpoint-health';
import { HeldSlots } from './held-slots';
import { operationalEventsVia } from './operational-events';
import { SnapshotKeys } from '../pipeline/snapshot-keys';
import { SubscriptionCache } from './subscription-cache';

/** Requests at once from one instance to one endpoint; more wait 2 to 4 s (not attempts). */
const MAX_IN_FLIGHT_PER_ENDPOINT = 10;

/** How long a cached subscription may hide a later disable or deletion from delivery. */
const SUBSCRIPTION_CACHE_MS = 30_000;

/** The delivery function's AWS clients, stores and settings, as the environment names them. */
export const deliveryDependencies = (env: Env): DeliveryHandlerDeps => {
  const config = {
    ...requireResources(env, ['deliveriesTable', 'subscriptionsTable', 'eventsTable', 'apiKeysTable', 'deliveryQueueUrl', 'deliveryDlqUrl', 'fanoutQueueUrl']),
    ...parseDeliveryPolicy(env),
  };
  const dynamo = createDynamoClient();
  const sqs = createSqsClient();
  const logger = createLogger('delivery');
  const subscriptionStore = new DynamoSubscriptionStore(dynamo, config.subscriptionsTable);
  const cache = new SubscriptionCache(subscriptionStore, SUBSCRIPTION_CACHE_MS);
  const events = new DynamoEventStore(dynamo, config.eventsTable);
  const deliveryStore = new DynamoDeliveryStore(dynamo, config.deliveriesTable);
  const breaker = new CircuitBreaker(
    subscriptionStore,
    { failureThreshold: config.circuitBreakerThreshold, ...BREAKER_TIMINGS },
    (s) => cache.remember(s),
    (error) => logger.warn('attempt not counted by the circuit breaker', { error }),
    (s) => cache.newest(s),
  );
  return {
    deliver: {
      subscriptions: cache,
      health: new EndpointHealthTracker(
        subscriptionStore,
        config.disableFailingAfterSeconds * 1000,
        (s) => cache.remember(s),
        (error) => logger.warn('endpoint health not written', { error }),
        (s) => cache.newest(s),
      ),
      breaker,
      // An endpoint not heard from is sent no more at once than it takes to open its circuit.
      concurrency: new EndpointConcurrency(MAX_IN_FLIGHT_PER_ENDPOINT, {
        untilAnswered: config.circuitBreakerThreshold > 0 ? config.circuitBreakerThreshold : MAX_IN_FLIGHT_PER_ENDPOINT,
        answers: breaker.answers,
      }),
      slowAttempts: {
        slots: new HeldSlots(new DynamoSlowAttemptSlots(dynamo, config.deliveriesTable)),
        afterMs: config.slowAttemptMs,
        limit: config.maxSlowAttemptsPerEndpoint,
        allEndpointsLimit: config.maxSlowAttempts,
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
    },
    group: {
      groups: deliveryStore,
      splitOuts: new SqsPublisher(sqs, { deliveryQueueUrl: config.deliveryQueueUrl }),
      snapshotKeys: new SnapshotKeys(new DynamoApiKeyStore(dynamo, config.apiKeysTable), (error) =>
        logger.warn('snapshot key not read: group subscriptions are read instead', { error }),
      ),
    },
    queueOps: new SqsQueueOps(sqs),
    deliveryQueueUrl: config.deliveryQueueUrl,
    deliveryDlqUrl: config.deliveryDlqUrl,
    successLogSampleRate: config.successLogSampleRate,
    logger,
    metrics: createMetrics(logger),
  };
};

export const handler = createDeliveryHandler(deliveryDependencies(process.env));
