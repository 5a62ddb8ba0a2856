import { anyFilterMatches } from '../core/event-types';
import type { DeliveryMessage, FanoutMessage } from '../core/messages';
import type { Subscription } from '../core/model';
import type { DeliveryPublisher, EventStore, FanoutPublisher, SubscriptionStore } from '../core/ports';

export interface FanOutDeps {
  subscriptions: SubscriptionStore;
  events: EventStore;
  deliveries: DeliveryPublisher;
  fanout: FanoutPublisher;
  /** Subscriptions read per page. */
  pageSize: number;
  /** Pages handled before the rest is handed to a continuation message, to stay far from the timeout. */
  maxPagesPerInvocation: number;
}

export type FanOutResult =
  | { status: 'done'; deliveries: number }
  | { status: 'continued'; deliveries: number; cursor: string }
  | { status: 'event_gone' };

/**
 * Turns one event into one delivery message per matching, enabled subscription. A large set is
 * split across invocations by re-enqueueing the message with a cursor, so 10,000 subscribers never
 * push a function near its timeout.
 */
export const fanOut = async (message: FanoutMessage, deps: FanOutDeps): Promise<FanOutResult> => {
  const payload = await eventPayload(message, deps);
  if (payload === undefined) return { status: 'event_gone' };

  if (message.subscriptionId !== undefined) {
    const subscription = await deps.subscriptions.get(message.tenantId, message.subscriptionId);
    const targets = subscription?.enabled ? [subscription] : [];
    await deps.deliveries.publishDeliveries(targets.map((s) => deliveryMessage(message, payload, s)));
    return { status: 'done', deliveries: targets.length };
  }

  let cursor = message.cursor;
  let deliveries = 0;
  for (let page = 0; page < deps.maxPagesPerInvocation; page++) {
    const result = await deps.subscriptions.list(message.tenantId, { limit: deps.pageSize, cursor });
    const matching = result.items.filter((s) => s.enabled && anyFilterMatches(s.eventTypes, message.eventType));
    await deps.deliveries.publishDeliveries(matching.map((s) => deliveryMessage(message, payload, s)));
    deliveries += matching.length;
    cursor = result.cursor;
    if (cursor === undefined) return { status: 'done', deliveries };
  }
  await deps.fanout.publishFanout({ ...message, cursor: cursor! });
  return { status: 'continued', deliveries, cursor: cursor! };
};

type Payload = Pick<DeliveryMessage, 'data' | 'hasData'>;

const eventPayload = async (message: FanoutMessage, deps: FanOutDeps): Promise<Payload | undefined> => {
  if (message.hasData) return { data: message.data, hasData: true };
  const event = await deps.events.getEvent(message.tenantId, message.eventId);
  // Large payloads are not copied into every delivery message; delivery reads them.
  return event === undefined ? undefined : { hasData: false };
};

const deliveryMessage = (message: FanoutMessage, payload: Payload, subscription: Subscription): DeliveryMessage => ({
  v: 1,
  tenantId: message.tenantId,
  eventId: message.eventId,
  eventType: message.eventType,
  createdAt: message.createdAt,
  run: message.run,
  subscriptionId: subscription.id,
  subscriptionVersion: subscription.version,
  ...payload,
});
