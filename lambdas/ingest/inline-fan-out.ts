import { deliveryMessagesFor, lazyFilterEnvelope } from '../pipeline/fan-out-messages';
import { deliveriesIn, type FanoutMessage } from '../core/messages';
import type { DeliveryPublisher, SubscriptionReader } from '../core/ports';

/** How long ingest remembers that a tenant has too many subscriptions to fan out itself. */
export const LARGE_TENANT_MEMORY_MS = 60_000;

export interface InlineFanOutDeps {
  subscriptions: Pick<SubscriptionReader, 'list'>;
  deliveries: DeliveryPublisher;
  /** Tenants with at most this many subscriptions are fanned out here. */
  limit: number;
  now: () => number;
}

/**
 * Fans an event out at ingest when the tenant's whole subscription set fits in one read of `limit`:
 * its delivery messages go straight to the delivery queue, saving the fan-out queue's send, receive
 * and invocation. Returns how many deliveries were sent, or undefined when the event must go
 * through the fan-out queue instead: a payload too large to ride in the messages, or a tenant with
 * more subscriptions (remembered for a minute, so such a tenant costs one extra read a minute, not
 * one per event). The read is strongly consistent, as fan-out's is: a subscription acknowledged
 * before the event was accepted receives it.
 */
export const createInlineFanOut = (deps: InlineFanOutDeps) => {
  const largeTenants = new Map<string, number>();
  return async (message: FanoutMessage): Promise<number | undefined> => {
    if (!message.hasData || message.subscriptionId !== undefined) return undefined;
    const largeUntil = largeTenants.get(message.tenantId);
    if (largeUntil !== undefined && largeUntil > deps.now()) return undefined;
    // One more than the limit: a page that fills it means there are more.
    const page = await deps.subscriptions.list(message.tenantId, { limit: deps.limit + 1 });
    if (page.cursor !== undefined || page.items.length > deps.limit) {
      largeTenants.set(message.tenantId, deps.now() + LARGE_TENANT_MEMORY_MS);
      return undefined;
    }
    largeTenants.delete(message.tenantId);
    const envelope = lazyFilterEnvelope(message.eventType, message.dataJson ?? 'null');
    const messages = deliveryMessagesFor(message, { dataJson: message.dataJson, hasData: true }, page.items, envelope);
    await deps.deliveries.publishDeliveries(messages);
    return deliveriesIn(messages);
  };
};

export type InlineFanOut = ReturnType<typeof createInlineFanOut>;
