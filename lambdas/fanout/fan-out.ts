import { anyFilterMatches } from '../core/event-types';
import type { DeliveryMessage, FanoutMessage } from '../core/messages';
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

type Payload = Pick<DeliveryMessage, 'data' | 'hasData'>;

/** One delivery message per enabled subscription whose filters match the event's type. */
export const deliveryMessagesFor = (message: FanoutMessage, payload: Payload, subscriptions: readonly Subscription[]): DeliveryMessage[] =>
  subscriptions.filter((s) => s.enabled && anyFilterMatches(s.eventTypes, message.eventType)).map((s) => deliveryMessage(message, payload, s));

const eventPayload = async (message: FanoutMessage, deps: FanOutDeps): Promise<Payload | undefined> => {
  if (message.hasData) return { data: message.data, hasData: true };
  const event = await deps.events.getEvent(message.tenantId, message.eventId);
  // Large payloads are not copied into every delivery message; delivery reads them.
  return event === undefined ? undefined : { hasData: false };
};

/** The delivery message of one event (as the fan-out message describes it) to one subscription. */
export const deliveryMessage = (
  message: Pick<FanoutMessage, 'tenantId' | 'eventId' | 'eventType' | 'createdAt' | 'run'>,
  payload: Payload,
  subscription: Pick<Subscription, 'id' | 'version'>,
): DeliveryMessage => ({
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
