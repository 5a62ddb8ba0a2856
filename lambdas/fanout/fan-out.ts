import { deliveryMessagesFor, lazyFilterEnvelope } from '../pipeline/fan-out-messages';
import { deliveriesIn, deliveryMessage, type FanoutMessage, type Payload } from '../core/messages';
import type { DeliveryPublisher, EventStore, SubscriptionReader } from '../core/ports';
import { withSealedSubscriptions } from '../pipeline/sealed-groups';
import type { SnapshotKeySource } from '../pipeline/snapshot-keys';
import { sendToConsumers, withoutBroadcast, type BroadcastDeps } from './broadcast';
import { publishPaged, type PagedResult } from './paged-publish';

export interface FanOutDeps extends BroadcastDeps {
  subscriptions: SubscriptionReader;
  events: EventStore;
  deliveries: DeliveryPublisher;
  /** Subscriptions (and a broadcast's consumers) read per page. */
  pageSize: number;
  /** Pages handled before the rest is handed to a continuation message, to stay far from the timeout. */
  maxPagesPerInvocation: number;
  /** The key group messages carry their subscriptions sealed under, so delivery reads none; without one it reads them. */
  snapshotKeys?: SnapshotKeySource;
  now: () => number;
}

/** A broadcast's invocation: the deliveries to the tenant's own subscriptions, and the consumers sent the event. */
export type BroadcastResult = { status: 'done' | 'continued'; deliveries: number; consumers: number; consumerCursor?: string };

export type FanOutResult = PagedResult | BroadcastResult | { status: 'event_gone' };

/**
 * Turns one event into one delivery message per matching, enabled subscription. A large set is
 * split across invocations by re-enqueueing the message with a cursor, so 10,000 subscribers never
 * push a function near its timeout. A broadcast also goes on to each consumer (see broadcast.ts).
 */
export const fanOut = (message: FanoutMessage, deps: FanOutDeps): Promise<FanOutResult> =>
  message.broadcast ? fanOutBroadcast(message, deps) : fanOutToOwner(message, deps);

/**
 * The tenant's own subscriptions as for an event of the tenant's (their continuation, if any, an
 * ordinary message), then the consumers; a continuation of the walk through the consumers (with a
 * consumer cursor) does only that.
 */
const fanOutBroadcast = async (message: FanoutMessage, deps: FanOutDeps): Promise<FanOutResult> => {
  const own = message.consumerCursor === undefined ? await fanOutToOwner(withoutBroadcast(message), deps) : undefined;
  if (own?.status === 'event_gone') return own;
  const walk = await sendToConsumers(message, deps);
  return { status: walk.consumerCursor === undefined ? 'done' : 'continued', deliveries: own?.deliveries ?? 0, ...walk };
};

/** The event to its owner's subscriptions: the tenant's own, or its consumer's. */
const fanOutToOwner = async (message: FanoutMessage, deps: FanOutDeps): Promise<PagedResult | { status: 'event_gone' }> => {
  const event = await eventPayload(message, deps);
  if (event === undefined) return { status: 'event_gone' };
  const { payload, dataJson } = event;

  const envelope = lazyFilterEnvelope(message.eventType, dataJson, message.consumerId);
  const key = await deps.snapshotKeys?.current();
  // When the page of subscriptions the messages are made from was read: their sealed copies date from then.
  let fetchedAt = deps.now();
  if (message.subscriptionId !== undefined) {
    const subscription = await deps.subscriptions.get(message, message.subscriptionId);
    const found = subscription === undefined ? [] : [subscription];
    // An event published to one subscription reaches it if it matches; a replay to one reaches it if enabled.
    const messages =
      message.run === message.eventId
        ? withSealedSubscriptions(deliveryMessagesFor(message, payload, found, envelope), found, key, fetchedAt)
        : found.filter((s) => s.enabled).map((s) => deliveryMessage(message, payload, s));
    await deps.deliveries.publishDeliveries(messages);
    return { status: 'done', deliveries: deliveriesIn(messages) };
  }

  return publishPaged({
    cursor: message.cursor,
    maxPages: deps.maxPagesPerInvocation,
    fetchPage: (cursor) => {
      fetchedAt = deps.now();
      return deps.subscriptions.list(message, { limit: deps.pageSize, ...(cursor ? { cursor } : {}) });
    },
    messagesOf: (subscriptions) => withSealedSubscriptions(deliveryMessagesFor(message, payload, subscriptions, envelope), subscriptions, key, fetchedAt),
    publish: (messages) => deps.deliveries.publishDeliveries(messages),
    continueFrom: (cursor) => deps.fanout.publishFanout({ ...message, cursor }),
  });
};

/**
 * The payload the delivery messages carry, and the data text payload filters read: the message's
 * own, or, for a payload too large to ride in messages, the text of the event read to check it is
 * still there (so filters cost no read of their own).
 */
const eventPayload = async (message: FanoutMessage, deps: FanOutDeps): Promise<{ payload: Payload; dataJson: string } | undefined> => {
  if (message.hasData) return { payload: { dataJson: message.dataJson, hasData: true }, dataJson: message.dataJson ?? 'null' };
  const event = await deps.events.getEvent(message.tenantId, message.eventId);
  // Large payloads are not copied into every delivery message; delivery reads them.
  return event === undefined ? undefined : { payload: { hasData: false }, dataJson: event.dataJson };
};
