import { deliveryMessagesFor, lazyFilterEnvelope } from '../pipeline/fan-out-messages';
import { subscriptionIdsIn, type FanoutMessage } from '../core/messages';
import { ownerName, ownerOf, type Subscription } from '../core/model';
import type { DeliveryPublisher, InlineFanOut, SubscriptionReader } from '../core/ports';
import { withSealedSubscriptions } from '../pipeline/sealed-groups';
import type { SnapshotKeySource } from '../pipeline/snapshot-keys';


/** How long ingest remembers that an owner has too many subscriptions to fan out itself. */
export const LARGE_TENANT_MEMORY_MS = 60_000;

export interface InlineFanOutDeps {
  subscriptions: SubscriptionReader;
  deliveries: DeliveryPublisher;
  /** Owners with at most this many subscriptions are fanned out here. */
  limit: number;
  now: () => number;
  /**
   * The key group messages carry their subscriptions sealed under (lambdas/core/subscription-snapshot.ts),
   * so delivery reads none; without one (or without a key yet) delivery reads them.
   */
  snapshotKeys?: SnapshotKeySource;
}

/**
 * Fans an event out at ingest when its owner's whole subscription set (the tenant's own, or the
 * consumer's it was published to) fits in one read of `limit`, or when it was published to one
 * subscription: its delivery messages go straight to the delivery queue, saving the fan-out queue's
 * send, receive and invocation. Declines (the event goes through the fan-out queue) for a payload
 * too large to ride in the messages, or an owner with more subscriptions (remembered for a minute,
 * so such an owner costs one extra read a minute, not one per event). The reads are strongly
 * consistent, as fan-out's are: a subscription acknowledged before the event was accepted receives it.
 * The group messages carry the subscriptions so read, sealed, when the deployment has a snapshot
 * key (read alongside the subscriptions, at most once a minute): delivery's first attempts then
 * need no read. An event published to one subscription carries none (its read came earlier).
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
    prepare: async (message, target) => {
      if (!message.hasData) return undefined;
      const fetchedAt = deps.now();
      const keyRead = message.subscriptionId === undefined ? deps.snapshotKeys?.current() : undefined;
      const subscriptions = await targetsOf(message, target);
      if (subscriptions === undefined) return undefined;
      return async () => {
        const envelope = lazyFilterEnvelope(message.eventType, message.dataJson ?? 'null', message.consumerId);
        const messages = deliveryMessagesFor(message, { dataJson: message.dataJson, hasData: true }, subscriptions, envelope);
        await deps.deliveries.publishDeliveries(withSealedSubscriptions(messages, subscriptions, await keyRead, fetchedAt));
        return { subscriptionIds: subscriptionIdsIn(messages) };
      };
    },
  };
};
