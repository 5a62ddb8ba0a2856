import type { Subscription, SubscriptionOwner } from '../core/model';
import type { SubscriptionStore } from '../core/ports';
import { endpointKey } from './endpoint-key';

/** Whether `a` is a copy of the subscription older than `b`: by version, then by health revision. */
export const writtenBefore = (a: Subscription, b: Subscription): boolean =>
  a.version !== b.version ? a.version < b.version : (a.healthRevision ?? 0) < (b.healthRevision ?? 0);

/** Subscription ids are unique across a tenant's owners: the cache keys by tenant and id, as every per-endpoint map does. */
const keyOf = endpointKey;

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
    private readonly store: Pick<SubscriptionStore, 'get' | 'getMany'>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 5000,
  ) {}

  async get(owner: SubscriptionOwner, id: string, minVersion: number): Promise<Subscription | undefined> {
    const key = keyOf(owner.tenantId, id);
    const now = this.now();
    const entry = this.entries.get(key);
    if (this.isFresh(entry, minVersion, now)) return entry!.subscription;
    // A batch often holds many deliveries to one subscription: they share one read.
    const pending = this.reads.get(key);
    if (pending !== undefined) {
      const subscription = await pending;
      if (subscription !== undefined && subscription.version >= minVersion) return subscription;
    }
    return this.read(key, owner, id, now);
  }

  /**
   * Reads in one request the subscriptions of one owner that are not cached fresh (a group
   * message's, about to be delivered together), so their `get`s share it instead of reading one
   * each. A subscription the batch does not return is read on its own by its `get` (so a deletion
   * is confirmed by a read of its own), and so is every one if the batch fails.
   */
  prefetch(owner: SubscriptionOwner, wanted: ReadonlyArray<{ id: string; version: number }>): void {
    const now = this.now();
    const missing = wanted.filter(({ id, version }) => {
      const key = keyOf(owner.tenantId, id);
      return !this.isFresh(this.entries.get(key), version, now) && !this.reads.has(key);
    });
    // One missing subscription is one read either way.
    if (missing.length < 2) return;
    const batch = this.store.getMany(owner, missing.map(({ id }) => id)).then(
      (found) => new Map(found.map((subscription) => [subscription.id, subscription])),
      () => new Map<string, Subscription>(),
    );
    for (const { id } of missing) {
      const key = keyOf(owner.tenantId, id);
      const read = batch.then((found) => {
        const subscription = found.get(id);
        if (subscription !== undefined) this.keep(key, subscription, now);
        return subscription;
      });
      this.reads.set(key, read);
      void read.finally(() => {
        if (this.reads.get(key) === read) this.reads.delete(key);
      });
    }
  }

  /**
   * Takes copies read elsewhere at `fetchedAt` (a group message's sealed subscriptions, read by
   * fan-out) as this cache's own read made then: fresh for the rest of `maxAgeMs`, and never in
   * place of what a later read found (a copy, or that the subscription is gone), a copy written
   * later, or one fresh already.
   */
  seed(subscriptions: readonly Subscription[], fetchedAt: number): void {
    const now = this.now();
    if (now - fetchedAt >= this.maxAgeMs) return;
    for (const subscription of subscriptions) {
      const key = keyOf(subscription.tenantId, subscription.id);
      const held = this.entries.get(key);
      if ((held !== undefined && held.fetchedAt >= fetchedAt) || this.isFresh(held, subscription.version, now)) continue;
      this.keep(key, subscription, fetchedAt);
    }
  }

  private isFresh(entry: Entry | undefined, minVersion: number, now: number): boolean {
    return entry !== undefined && now - entry.fetchedAt < this.maxAgeMs && entry.subscription !== undefined && entry.subscription.version >= minVersion;
  }

  private keep(key: string, subscription: Subscription | undefined, fetchedAt: number): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.delete(this.entries.keys().next().value!);
    this.keepNewer(key, subscription, fetchedAt);
  }

  private async read(key: string, owner: SubscriptionOwner, id: string, now: number): Promise<Subscription | undefined> {
    const read = this.store.get(owner, id);
    this.reads.set(key, read);
    try {
      const subscription = await read;
      this.keep(key, subscription, now);
      return subscription;
    } finally {
      if (this.reads.get(key) === read) this.reads.delete(key);
    }
  }

  /** The newest copy of `subscription` this environment holds: it, or a copy written later; never a read. */
  newest(subscription: Subscription): Subscription {
    const held = this.entries.get(keyOf(subscription.tenantId, subscription.id))?.subscription;
    return held !== undefined && writtenBefore(subscription, held) ? held : subscription;
  }

  /** Takes a subscription this environment just wrote, so the next read sees the change. */
  remember(subscription: Subscription): void {
    this.keepNewer(keyOf(subscription.tenantId, subscription.id), subscription, this.now());
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
