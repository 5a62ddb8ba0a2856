import { deliveryMessagesFor, lazyFilterEnvelope } from '../pipeline/fan-out-messages';
import { subscriptionIdsIn, type FanoutMessage } from '../core/messages';
import { ownerName, ownerOf, type Subscription } from '../core/model';
import type { DeliveryPublisher, InlineFanOut, SubscriptionReader } from '../core/ports';


/** How long ingest remembers that an owner has too many subscriptions to fan out itself. */
export const LARGE_TENANT_MEMORY_MS = 60_000;

export interface InlineFanOutDeps {
  subscriptions: SubscriptionReader;
  deliveries: DeliveryPublisher;
  /** Owners with at most this many subscriptions are fanned out here. */
  limit: number;
  now: () => number;
}

/**
 * Fans an event out at ingest when its owner's whole subscription set (the tenant's own, or the
 * consumer's it was published to) fits in one read of `limit`, or when it was published to one
 * subscription: its delivery messages go straight to the delivery queue, saving the fan-out queue's
 * send, receive and invocation. Declines (the event goes through the fan-out queue) for a payload
 * too large to ride in the messages, or an owner with more subscriptions (remembered for a minute,
 * so such an owner costs one extra read a minute, not one per event). The reads are strongly
 * consistent, as fan-out's are: a subscription acknowledged before the event was accepted receives it.
 */
export const createInlineFanOut = (deps: InlineFanOutDeps): InlineFanOut => {
  const largeOwners = new Map<string, number>();

  const targetsOf = async (message: FanoutMessage, target: Subscription | undefined): Promise<Subscription[] | undefined> => {
    if (message.subscriptionId !== undefined) return target?.id === message.subscriptionId ? [target] : undefined;
    const owner = ownerName(message);
    const largeUntil = largeOwners.get(owner);
    if (largeUntil !== undefined && largeUntil > deps.now()) return undefined;
    // One more than the limit: a page that fills it means there are more.
    const page = await deps.subscriptions.list(ownerOf(message), { limit: deps.limit + 1 });
    if (page.cursor !== undefined || page.items.length > deps.limit) {
      largeOwners.set(owner, deps.now() + LARGE_TENANT_MEMORY_MS);
      return undefined;
    }
    largeOwners.delete(owner);
    return page.items;
  };

  return {
    subscription: (owner, id) => deps.subscriptions.get(owner, id),
    fanOut: async (message, target) => {
      if (!message.hasData) return undefined;
      const subscriptions = await targetsOf(message, target);
      if (subscriptions === undefined) return undefined;
      const envelope = lazyFilterEnvelope(message.eventType, message.dataJson ?? 'null', message.consumerId);
      const messages = deliveryMessagesFor(message, { dataJson: message.dataJson, hasData: true }, subscriptions, envelope);
      await deps.deliveries.publishDeliveries(messages);
      return { subscriptionIds: subscriptionIdsIn(messages) };
    },
  };
};
