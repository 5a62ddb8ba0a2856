import type { Subscription, SubscriptionOwner } from '../core/model';
import type { SubscriptionStore } from '../core/ports';

/** Whether `a` is a copy of the subscription older than `b`: by version, then by health revision. */
export const writtenBefore = (a: Subscription, b: Subscription): boolean =>
  a.version !== b.version ? a.version < b.version : (a.healthRevision ?? 0) < (b.healthRevision ?? 0);

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
  private readonly reads = new Map<string, Promise<Subscription | undefined>>();

  constructor(
    private readonly store: Pick<SubscriptionStore, 'get'>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 5000,
  ) {}

  /** Subscription ids are unique across a tenant's owners: the cache keys by tenant and id. */
  async get(owner: SubscriptionOwner, id: string, minVersion: number): Promise<Subscription | undefined> {
    const key = `${owner.tenantId}#${id}`;
    const entry = this.entries.get(key);
    const now = this.now();
    const fresh =
      entry !== undefined &&
      now - entry.fetchedAt < this.maxAgeMs &&
      (entry.subscription === undefined ? false : entry.subscription.version >= minVersion);
    if (fresh) return entry.subscription;
    // A batch often holds many deliveries to one subscription: they share one read.
    const pending = this.reads.get(key);
    if (pending !== undefined) {
      const subscription = await pending;
      if (subscription !== undefined && subscription.version >= minVersion) return subscription;
    }
    return this.read(key, owner, id, now);
  }

  private async read(key: string, owner: SubscriptionOwner, id: string, now: number): Promise<Subscription | undefined> {
    const read = this.store.get(owner, id);
    this.reads.set(key, read);
    try {
      const subscription = await read;
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.keepNewer(key, subscription, now);
      return subscription;
    } finally {
      if (this.reads.get(key) === read) this.reads.delete(key);
    }
  }

  /** Takes a subscription this environment just wrote, so the next read sees the change. */
  remember(subscription: Subscription): void {
    this.keepNewer(`${subscription.tenantId}#${subscription.id}`, subscription, this.now());
  }

  /**
   * Writes answered out of order (a count made before the circuit opened, answered after the
   * opening) must not put an older copy back: the entry changes only to a copy written as late or later.
   */
  private keepNewer(key: string, subscription: Subscription | undefined, fetchedAt: number): void {
    const held = this.entries.get(key)?.subscription;
    if (held !== undefined && subscription !== undefined && writtenBefore(subscription, held)) return;
    this.entries.set(key, { subscription, fetchedAt });
  }
}
