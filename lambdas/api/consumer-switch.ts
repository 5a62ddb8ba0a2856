import type { Subscription, SubscriptionOwner } from '../core/model';
import { CLOSED_CIRCUIT, type SubscriptionChanges, type SubscriptionExpectation, type SubscriptionStore } from '../core/ports';

/** The `disabledReason` of a subscription disabled with all of its consumer's. */
export const CONSUMER_DISABLED = 'consumer_disabled';

/** Subscriptions read, and then written at once, per page while a consumer is disabled or enabled. */
export const CONSUMER_SWITCH_PAGE = 25;

type Store = Pick<SubscriptionStore, 'list' | 'update'>;

/** What one pass over a consumer's subscriptions did: how many it changed, and how many it left as they were. */
interface SwitchCount {
  changed: number;
  untouched: number;
}

/**
 * Pages through the owner's subscriptions, writing `changes` to each one `selects` picks, each
 * write conditional on `expected` (a subscription changed meanwhile keeps that change). Counts
 * the writes made, and the subscriptions neither picked nor already as `settled` says.
 */
const switchAll = async (
  store: Store,
  owner: SubscriptionOwner,
  pass: { selects: (s: Subscription) => boolean; settled: (s: Subscription) => boolean; changes: SubscriptionChanges; expected: SubscriptionExpectation },
): Promise<SwitchCount> => {
  const count: SwitchCount = { changed: 0, untouched: 0 };
  let cursor: string | undefined;
  do {
    const page = await store.list(owner, { limit: CONSUMER_SWITCH_PAGE, ...(cursor === undefined ? {} : { cursor }) });
    const picked = page.items.filter(pass.selects);
    count.untouched += page.items.filter((s) => !pass.selects(s) && !pass.settled(s)).length;
    const written = await Promise.all(picked.map((s) => store.update(owner, s.id, pass.changes, pass.expected)));
    count.changed += written.filter((s) => s !== undefined).length;
    cursor = page.cursor;
  } while (cursor !== undefined);
  return count;
};

const disabledWithConsumer = (s: Subscription): boolean => !s.enabled && s.disabledReason === CONSUMER_DISABLED;

/**
 * Disables every enabled subscription of the consumer (`disabledReason: consumer_disabled`); one
 * disabled already keeps its reason. Returns how many it disabled, and how many were disabled for
 * another reason.
 */
export const disableConsumerSubscriptions = async (
  store: Store,
  owner: Required<SubscriptionOwner>,
  now: string,
): Promise<{ subscriptionsDisabled: number; subscriptionsDisabledForOtherReasons: number }> => {
  const { changed, untouched } = await switchAll(store, owner, {
    selects: (s) => s.enabled,
    settled: disabledWithConsumer,
    changes: { enabled: false, disabledReason: CONSUMER_DISABLED, disabledAt: now, updatedAt: now },
    expected: { enabled: true },
  });
  return { subscriptionsDisabled: changed, subscriptionsDisabledForOtherReasons: untouched };
};

/**
 * Enables the consumer's subscriptions a consumer disable disabled, and only those: one disabled
 * by its endpoint's failures or a 410, or by itself, stays disabled. Each starts afresh: circuit
 * closed, and no failing period (the pause does not count toward the disable after failures).
 * Returns how many it enabled, and how many stay disabled for another reason.
 */
export const enableConsumerSubscriptions = async (
  store: Store,
  owner: Required<SubscriptionOwner>,
  now: string,
): Promise<{ subscriptionsEnabled: number; subscriptionsDisabledForOtherReasons: number }> => {
  const { changed, untouched } = await switchAll(store, owner, {
    selects: disabledWithConsumer,
    settled: (s) => s.enabled,
    changes: { enabled: true, disabledReason: null, disabledAt: null, failingSince: null, ...CLOSED_CIRCUIT, updatedAt: now },
    expected: { enabled: false, disabledReason: CONSUMER_DISABLED },
  });
  return { subscriptionsEnabled: changed, subscriptionsDisabledForOtherReasons: untouched };
};
