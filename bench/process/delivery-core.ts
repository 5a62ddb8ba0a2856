import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { NodeHttpSender } from '../../lambdas/aws/http-sender';
import { processSqsBatch } from '../../lambdas/aws/sqs-batch';
import { parseDeliveryPolicy } from '../../lambdas/core/delivery-config';
import { deliveryQueueMessageSchema, isGroupMessage, parseMessage } from '../../lambdas/core/messages';
import type { DeliveryGroupLog, DeliveryRecord, Subscription } from '../../lambdas/core/model';
import type { DeliveryGroupStore, DeliveryStore, EventStore, RecordAttemptResult } from '../../lambdas/core/ports';
import { deliver, type DeliverDeps } from '../../lambdas/delivery/deliver';
import { deliverGroup } from '../../lambdas/delivery/deliver-group';
import { EndpointConcurrency } from '../../lambdas/delivery/endpoint-concurrency';
import { EndpointHealthTracker } from '../../lambdas/delivery/endpoint-health';
import { BREAKER_TIMINGS, CircuitBreaker, type CircuitStore } from '../../lambdas/delivery/circuit-breaker';
import { SubscriptionCache } from '../../lambdas/delivery/subscription-cache';

const notUsed = (what: string) => (): Promise<never> => Promise.reject(new Error(`${what} is not part of this workload`));

const noCircuitWrites: CircuitStore = {
  countUnanswered: notUsed('counting an unanswered attempt'),
  openCircuit: notUsed('opening a circuit'),
  claimProbe: notUsed('claiming a probe'),
  closeCircuit: notUsed('closing a circuit'),
};

/** Delivery records in memory, with the store's condition: absent, older run, or same run and attempts. */
class InMemoryDeliveries implements DeliveryStore {
  private readonly records = new Map<string, DeliveryRecord>();
  async get(tenantId: string, subscriptionId: string, eventId: string) {
    return this.records.get(`${tenantId}#${subscriptionId}#${eventId}`);
  }
  async recordAttempt(record: DeliveryRecord, previousAttempts: number): Promise<RecordAttemptResult> {
    const key = `${record.tenantId}#${record.subscriptionId}#${record.eventId}`;
    const stored = this.records.get(key);
    const allowed = stored === undefined || stored.run < record.run || (stored.run === record.run && stored.attempts === previousAttempts);
    if (!allowed) return 'conflict';
    this.records.set(key, record);
    return 'recorded';
  }
  listBySubscription = notUsed('listing deliveries');
  getForEvent = notUsed("reading an event's deliveries");
}

/** Group logs in memory; a write adds to what the item holds, as the UpdateItem does. */
class InMemoryGroups implements DeliveryGroupStore {
  private readonly logs = new Map<string, DeliveryGroupLog>();
  async getGroup(tenantId: string, eventId: string, firstSubscriptionId: string) {
    return this.logs.get(`${tenantId}#${eventId}#${firstSubscriptionId}`);
  }
  async recordGroup(log: DeliveryGroupLog): Promise<void> {
    const key = `${log.tenantId}#${log.eventId}#${log.firstSubscriptionId}`;
    this.logs.set(key, { ...log, delivered: { ...this.logs.get(key)?.delivered, ...log.delivered } });
  }
}

/** The workload's subscriptions, from memory. */
const lookUp = (subscriptions: readonly Subscription[]) => {
  const byId = new Map(subscriptions.map((subscription) => [subscription.id, subscription]));
  return { get: async (_tenantId: string, id: string) => byId.get(id) };
};

/** Every attempt of the workload succeeds on a healthy endpoint: a health write would be a failure to report. */
const noHealthWrites = {
  update: notUsed('disabling a subscription'),
  setFailingSince: notUsed('marking an endpoint failing'),
};

/** Every message carries its data inline here, so the event store is never read. */
const noEvents: EventStore = {
  putEvent: notUsed('storing an event'),
  getEvent: notUsed('reading an event'),
  claimIdempotencyKey: notUsed('claiming an idempotency key'),
  markHandedOver: notUsed('marking a hand-over'),
};

/**
 * The delivery core without its AWS adapters: the batch processor, message validation, the group
 * delivery and `deliver` (signing, outcome, record) and the real node:http sender, with the
 * subscription look-up, the delivery records and the group logs in memory and no logs or metrics.
 * Set beside the whole handler, it shows what the adapters cost per message.
 */
export const deliveryCore = (subscriptions: readonly Subscription[]): ((event: SQSEvent, context: Context) => Promise<SQSBatchResponse>) => {
  const policy = parseDeliveryPolicy(process.env);
  const deps: DeliverDeps = {
    // The handler's cache, with the handler's 30 s bound.
    subscriptions: new SubscriptionCache(lookUp(subscriptions), 30_000),
    health: new EndpointHealthTracker(noHealthWrites, policy.disableFailingAfterSeconds * 1000),
    // A receiver that answers at once never writes to the breaker or asks for a slow-attempt slot.
    breaker: new CircuitBreaker(noCircuitWrites, { failureThreshold: policy.circuitBreakerThreshold, ...BREAKER_TIMINGS }),
    slowAttempts: { slots: { acquire: notUsed('a slow-attempt slot') }, afterMs: policy.slowAttemptMs, limit: policy.maxSlowAttemptsPerEndpoint },
    concurrency: new EndpointConcurrency(10),
    rateLimiter: { acquire: async () => ({ allowed: true }) },
    operationalEvents: { emit: async () => undefined },
    deliveries: new InMemoryDeliveries(),
    events: noEvents,
    sender: new NodeHttpSender(policy.targetPolicy),
    retrySchedule: policy.retrySchedule,
    timeoutMs: policy.timeoutMs,
    deliveryLogRetentionDays: policy.deliveryLogRetentionDays,
    now: Date.now,
    random: Math.random,
  };
  const groupDeps = { ...deps, groups: new InMemoryGroups(), splitOuts: { publishDelayed: notUsed('splitting a retry out of a group') } };
  return (event) => {
    const receivedAt = Date.now();
    return processSqsBatch(event, async (record) => {
      const message = parseMessage(deliveryQueueMessageSchema, record.body);
      const receipt = { receiveCount: Number(record.attributes.ApproximateReceiveCount), receivedAt };
      if (isGroupMessage(message)) {
        await deliverGroup(message, receipt, groupDeps, (single, singleReceipt, withDeps) => deliver(single, singleReceipt, withDeps));
        return;
      }
      const decision = await deliver(message, receipt, deps);
      if (decision.action === 'retry_later') throw new Error(`retry in ${decision.visibilitySeconds} s`);
    });
  };
};
