import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Subscription } from '../../lambdas/core/model';
import { BREAKER_TIMINGS, CircuitBreaker } from '../../lambdas/delivery/circuit-breaker';
import { createDeliveryHandler } from '../../lambdas/delivery/delivery-handler';
import { EndpointHealthTracker } from '../../lambdas/delivery/endpoint-health';
import { deliveryDependencies } from '../../lambdas/delivery/handler';
import { SubscriptionCache } from '../../lambdas/delivery/subscription-cache';
import { parseDeliveryPolicy } from '../../lambdas/core/delivery-config';
import {
  InMemoryDeliveryGroupStore,
  InMemoryDeliveryStore,
  InMemoryEventStore,
  InMemoryRateLimiter,
  InMemorySlowAttemptSlots,
  InMemorySubscriptionStore,
  RecordingDelayedPublisher,
} from '../../test/kit/fakes';

/**
 * The delivery function's own handler, built by its factory with the function's settings, sender,
 * logger and metrics, but every store in memory (the test kit's): the subscriptions, the delivery
 * records and group logs, the breaker, health, slow-attempt slots and rate limits. Set beside the
 * whole handler over the SDK, it shows what the AWS adapters cost per message.
 */
export const deliveryCore = (subscriptions: readonly Subscription[]): ((event: SQSEvent, context: Context) => Promise<SQSBatchResponse>) => {
  const wired = deliveryDependencies(process.env);
  const policy = parseDeliveryPolicy(process.env);
  const store = new InMemorySubscriptionStore(subscriptions);
  // The handler's cache, with the handler's 30 s bound.
  const cache = new SubscriptionCache(store, 30_000);
  const handler = createDeliveryHandler({
    ...wired,
    deliver: {
      ...wired.deliver,
      subscriptions: cache,
      health: new EndpointHealthTracker(store, policy.disableFailingAfterSeconds * 1000, (s) => cache.remember(s)),
      breaker: new CircuitBreaker(store, { failureThreshold: policy.circuitBreakerThreshold, ...BREAKER_TIMINGS }, (s) => cache.remember(s)),
      slowAttempts: { ...wired.deliver.slowAttempts, slots: new InMemorySlowAttemptSlots() },
      rateLimiter: new InMemoryRateLimiter(),
      deliveries: new InMemoryDeliveryStore(),
      events: new InMemoryEventStore(),
    },
    group: { groups: new InMemoryDeliveryGroupStore(), splitOuts: new RecordingDelayedPublisher() },
  });
  return async (event, context) => (await handler(event, context)) ?? { batchItemFailures: [] };
};
