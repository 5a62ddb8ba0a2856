import type { Subscription } from '../core/model';
import type { SubscriptionStore } from '../core/ports';

interface Entry {
  subscription: Subscription | undefined;
  fetchedAt: number;
}

/**
 * Subscriptions read by delivery, cached per execution environment. A message names the version
 * fan-out saw, so a change made before the event was accepted is never served stale; `maxAgeMs`
 * bounds how long a later change (a disable, a deletion) can go unseen.
 */
export class SubscriptionCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: Pick<SubscriptionStore, 'get'>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 5000,
  ) {}

  async get(tenantId: string, id: string, minVersion: number): Promise<Subscription | undefined> {
    const key = `${tenantId}#${id}`;
    const entry = this.entries.get(key);
    const now = this.now();
    const fresh =
      entry !== undefined &&
      now - entry.fetchedAt < this.maxAgeMs &&
      (entry.subscription === undefined ? false : entry.subscription.version >= minVersion);
    if (fresh) return entry.subscription;
    const subscription = await this.store.get(tenantId, id);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { subscription, fetchedAt: now });
    return subscription;
  }

  /** Takes a subscription this environment just wrote, so the next read sees the change. */
  remember(subscription: Subscription): void {
    this.entries.set(`${subscription.tenantId}#${subscription.id}`, { subscription, fetchedAt: this.now() });
  }
}
