import { deliveryMessage, inlineData, type RecoverMessage } from '../core/messages';
import { ownerOf } from '../core/model';
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
  const subscription = await deps.subscriptions.get(message, message.subscriptionId);
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
      // The events of a page are read together; ones past their retention are left out.
      const events = await Promise.all(records.map((record) => deps.events.getEvent(message.tenantId, record.eventId)));
      return events
        .filter((event) => event !== undefined)
        .map((event) =>
          deliveryMessage(
            { ...ownerOf(subscription), eventId: event.id, eventType: event.type, createdAt: event.createdAt, run: message.run },
            inlineData(event.dataJson),
            subscription,
          ),
        );
    },
    publish: (messages) => deps.deliveries.publishDeliveries(messages),
    continueFrom: (cursor) => deps.fanout.publishFanout({ ...message, cursor }),
  });
};
