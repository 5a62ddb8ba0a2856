import type { ConsumerResponse, SubscriptionListResponse, SubscriptionResponse } from '../contract/response-schemas';
import type { Consumer, DeliveryRecord, StoredEvent, Subscription, SubscriptionOwner } from '../core/model';
import type { PageRequest, SubscriptionReader } from '../core/ports';

/** What clients see of a subscription: never its secrets, except the one just created. */
export const subscriptionView = (subscription: Subscription, secret?: string): SubscriptionResponse => ({
  id: subscription.id,
  ...(subscription.consumerId === undefined ? {} : { consumerId: subscription.consumerId }),
  url: subscription.url,
  eventTypes: subscription.eventTypes,
  ...(subscription.filter === undefined ? {} : { filter: subscription.filter }),
  ...(subscription.description === undefined ? {} : { description: subscription.description }),
  headers: subscription.headers,
  ...(subscription.rateLimitPerSecond === undefined ? {} : { rateLimitPerSecond: subscription.rateLimitPerSecond }),
  ...(subscription.transformation === undefined ? {} : { transformation: subscription.transformation }),
  enabled: subscription.enabled,
  ...(subscription.disabledReason === undefined ? {} : { disabledReason: subscription.disabledReason }),
  ...(subscription.disabledAt === undefined ? {} : { disabledAt: subscription.disabledAt }),
  ...(subscription.failingSince === undefined ? {} : { failingSince: subscription.failingSince }),
  circuit: circuitView(subscription),
  createdAt: subscription.createdAt,
  updatedAt: subscription.updatedAt,
  ...(secret === undefined ? {} : { secret }),
});

/** A page of one owner's subscriptions, as `GET /v1/subscriptions` and `GET /v1/consumers/{id}/subscriptions` answer it. */
export const subscriptionPage = async (
  subscriptions: Pick<SubscriptionReader, 'list'>,
  owner: SubscriptionOwner,
  query: PageRequest,
): Promise<SubscriptionListResponse> => {
  const page = await subscriptions.list(owner, query);
  return { items: page.items.map((s) => subscriptionView(s)), ...(page.cursor ? { cursor: page.cursor } : {}) };
};

export const consumerView = (consumer: Consumer): ConsumerResponse => ({
  id: consumer.id,
  ...(consumer.name === undefined ? {} : { name: consumer.name }),
  metadata: consumer.metadata ?? {},
  createdAt: consumer.createdAt,
  updatedAt: consumer.updatedAt,
});

const circuitView = (subscription: Subscription): SubscriptionResponse['circuit'] => {
  const open = subscription.circuitOpenedAt !== undefined;
  return {
    state: open ? 'open' : 'closed',
    ...(open ? { since: subscription.circuitOpenedAt } : {}),
    consecutiveFailures: subscription.circuitFailures ?? 0,
    ...(subscription.circuitLastError === undefined ? {} : { lastError: subscription.circuitLastError }),
    ...(subscription.circuitLastFailureAt === undefined ? {} : { lastFailureAt: subscription.circuitLastFailureAt }),
    ...(open && subscription.circuitNextProbeAt !== undefined ? { nextProbeAt: subscription.circuitNextProbeAt } : {}),
  };
};

export const deliveryView = (record: DeliveryRecord) => ({
  eventId: record.eventId,
  subscriptionId: record.subscriptionId,
  eventType: record.eventType,
  status: record.status,
  attempts: record.attempts,
  ...(record.lastAttemptAt === undefined ? {} : { lastAttemptAt: record.lastAttemptAt }),
  ...(record.nextAttemptAt === undefined || record.status !== 'retrying' ? {} : { nextAttemptAt: record.nextAttemptAt }),
  attemptLog: record.history,
  ...(record.reason === undefined ? {} : { reason: record.reason }),
  ...(record.error === undefined ? {} : { error: record.error }),
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
});

/**
 * The event as JSON text, `extra` members after it: `data` is the text as published, set between
 * the other members as it is, never parsed and written again.
 */
export const eventJson = (event: StoredEvent, extra: Record<string, unknown>): string => {
  const head = JSON.stringify({
    id: event.id,
    type: event.type,
    ...(event.consumerId === undefined ? {} : { consumerId: event.consumerId }),
    ...(event.subscriptionId === undefined ? {} : { subscriptionId: event.subscriptionId }),
    ...(event.broadcast ? { broadcast: true } : {}),
    createdAt: event.createdAt,
  });
  const tail = JSON.stringify(extra).slice(1, -1);
  return `${head.slice(0, -1)},"data":${event.dataJson}${tail === '' ? '' : `,${tail}`}}`;
};
