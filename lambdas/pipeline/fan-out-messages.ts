import { matchesPattern, type FilterEnvelope } from '../core/event-pattern';
import { anyFilterMatches } from '../core/event-types';
import { DELIVERY_GROUP_SIZE, deliveryGroupMessage, deliveryMessage, type DeliveryQueueMessage, type FanoutMessage, type Payload } from '../core/messages';
import type { Subscription } from '../core/model';

/** The envelope payload filters see, built on first use: an event no subscription filters is never parsed. */
export type LazyFilterEnvelope = () => FilterEnvelope;

/**
 * The envelope of an event with this type, data text and consumer (if it has one), parsed once however
 * many subscriptions (and pages of them) ask for it. Numbers in the data become doubles, as JSON.parse reads them.
 */
export const lazyFilterEnvelope = (type: string, dataJson: string, consumerId?: string): LazyFilterEnvelope => {
  let envelope: FilterEnvelope | undefined;
  return () => (envelope ??= { type, ...(consumerId === undefined ? {} : { consumerId }), data: JSON.parse(dataJson) as unknown });
};

const isTarget = (subscription: Subscription, type: string, envelope: LazyFilterEnvelope): boolean =>
  subscription.enabled &&
  anyFilterMatches(subscription.eventTypes, type) &&
  (subscription.filter === undefined || matchesPattern(subscription.filter, envelope()));

/**
 * The delivery messages for the enabled subscriptions whose event types match the event's type and
 * whose payload filter, if any, matches the event: groups of up to DELIVERY_GROUP_SIZE for an
 * event's first run, one message per subscription for a replay (whose deliveries each keep a
 * record of their own). A filtered-out event costs nothing more: no message, no record.
 */
export const deliveryMessagesFor = (
  message: FanoutMessage,
  payload: Payload,
  subscriptions: readonly Subscription[],
  envelope: LazyFilterEnvelope,
): DeliveryQueueMessage[] => {
  const targets = subscriptions.filter((s) => isTarget(s, message.eventType, envelope));
  if (message.run !== message.eventId) return targets.map((s) => deliveryMessage(message, payload, s));
  const groups: DeliveryQueueMessage[] = [];
  for (let i = 0; i < targets.length; i += DELIVERY_GROUP_SIZE) {
    groups.push(deliveryGroupMessage(message, payload, targets.slice(i, i + DELIVERY_GROUP_SIZE)));
  }
  return groups;
};
