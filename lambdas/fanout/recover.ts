import { inlineData, type DeliveryMessage, type RecoverMessage } from '../core/messages';
import type { DeliveryPublisher, DeliveryStore, EventStore, FanoutPublisher, SubscriptionStore } from '../core/ports';
import { publishPaged, type PagedResult } from './paged-publish';

export interface RecoverDeps {
  subscriptions: Pick<SubscriptionStore, 'get'>;
  deliveryLog: Pick<DeliveryStore, 'listBySubscription'>;
  events: Pick<EventStore, 'getEvent'>;
  deliveries: DeliveryPublisher;
  fanout: FanoutPublisher;
  pageSize: number;
  maxPagesPerInvocation: number;
}

export type RecoverResult = PagedResult | { status: 'subscription_unavailable' };

/**
 * Re-sends a subscription's exhausted deliveries in a time window, under a new run so each gets a
 * fresh schedule. Events past their retention are skipped; a disabled subscription gets nothing
 * (re-enable it first). Long windows continue in a follow-up message, like a large fan-out.
 */
export const recover = async (message: RecoverMessage, deps: RecoverDeps): Promise<RecoverResult> => {
  const subscription = await deps.subscriptions.get(message.tenantId, message.subscriptionId);
  if (subscription === undefined || !subscription.enabled) return { status: 'subscription_unavailable' };

  return publishPaged({
    cursor: message.cursor,
    maxPages: deps.maxPagesPerInvocation,
    fetchPage: (cursor) =>
      deps.deliveryLog.listBySubscription(message.tenantId, message.subscriptionId, {
        status: 'exhausted',
        since: message.since,
        until: message.until,
        limit: deps.pageSize,
        ...(cursor === undefined ? {} : { cursor }),
      }),
    messagesOf: async (records) => {
      const messages: DeliveryMessage[] = [];
      for (const record of records) {
        const event = await deps.events.getEvent(message.tenantId, record.eventId);
        if (event === undefined) continue;
        messages.push({
          v: 1,
          tenantId: message.tenantId,
          eventId: event.id,
          eventType: event.type,
          createdAt: event.createdAt,
          run: message.run,
          subscriptionId: subscription.id,
          subscriptionVersion: subscription.version,
          ...inlineData(event.data),
        });
      }
      return messages;
    },
    publish: (messages) => deps.deliveries.publishDeliveries(messages),
    continueFrom: (cursor) => deps.fanout.publishFanout({ ...message, cursor }),
  });
};
