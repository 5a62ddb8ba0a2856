import { anyFilterMatches } from '../core/event-types';
import { DELIVERY_GROUP_SIZE, deliveryGroupMessage, deliveryMessage, type DeliveryQueueMessage, type FanoutMessage, type Payload } from '../core/messages';
import type { Subscription } from '../core/model';

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
