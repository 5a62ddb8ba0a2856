import { anyFilterMatches } from '../core/event-types';
import {
  DELIVERY_GROUP_SIZE,
  deliveryGroupMessage,
  deliveryMessage,
  type DeliveryQueueMessage,
  type FanoutMessage,
  type Payload,
} from '../core/messages';
import type { Subscription } from '../core/model';
import type { DeliveryPublisher, EventStore, FanoutPublisher, SubscriptionReader } from '../core/ports';
import { publishPaged, type PagedResult } from './paged-publish';

export interface FanOutDeps {
  subscriptions: SubscriptionReader;
  events: EventStore;
  deliveries: DeliveryPublisher;
  fanout: FanoutPublisher;
  /** Subscriptions read per page. */
  pageSize: number;
  /** Pages handled before the rest is handed to a continuation message, to stay far from the timeout. */
  maxPagesPerInvocation: number;
}

export type FanOutResult = PagedResult | { status: 'event_gone' };

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

  return publishPaged({
    cursor: message.cursor,
    maxPages: deps.maxPagesPerInvocation,
    fetchPage: (cursor) => deps.subscriptions.list(message.tenantId, { limit: deps.pageSize, ...(cursor ? { cursor } : {}) }),
    messagesOf: (subscriptions) => deliveryMessagesFor(message, payload, subscriptions),
    publish: (messages) => deps.deliveries.publishDeliveries(messages),
    continueFrom: (cursor) => deps.fanout.publishFanout({ ...message, cursor }),
  });
};

/**
 * The delivery messages for the enabled subscriptions whose filters match the event's type: groups
 * of up to DELIVERY_GROUP_SIZE for an event's first run, one message per subscription for a replay
 * (whose deliveries each keep a record of their own).
 */
export const deliveryMessagesFor = (
  message: FanoutMessage,
  payload: Payload,
  subscriptions: readonly Subscription[],
): DeliveryQueueMessage[] => {
  const targets = subscriptions.filter((s) => s.enabled && anyFilterMatches(s.eventTypes, message.eventType));
  if (message.run !== message.eventId) return targets.map((s) => deliveryMessage(message, payload, s));
  const groups: DeliveryQueueMessage[] = [];
  for (let i = 0; i < targets.length; i += DELIVERY_GROUP_SIZE) {
    groups.push(deliveryGroupMessage(message, payload, targets.slice(i, i + DELIVERY_GROUP_SIZE)));
  }
  return groups;
};

const eventPayload = async (message: FanoutMessage, deps: FanOutDeps): Promise<Payload | undefined> => {
  if (message.hasData) return { dataJson: message.dataJson, hasData: true };
  const event = await deps.events.getEvent(message.tenantId, message.eventId);
  // Large payloads are not copied into every delivery message; delivery reads them.
  return event === undefined ? undefined : { hasData: false };
};
