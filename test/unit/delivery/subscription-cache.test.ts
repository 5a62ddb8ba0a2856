import { describe, expect, it } from 'vitest';
import { SubscriptionCache } from '../../../lambdas/delivery/subscription-cache';
import { aSubscription } from '../../kit/builders';
import { InMemorySubscriptionStore } from '../../kit/fakes';

const TENANT = 'tenant-1';
const ID = 'sub_1';
const MAX_AGE_MS = 30_000;

const setUp = () => {
  const store = new InMemorySubscriptionStore([aSubscription({ tenantId: TENANT, id: ID, version: 3 })]);
  const clock = { now: 1_000_000 };
  const cache = new SubscriptionCache(store, MAX_AGE_MS, () => clock.now);
  return { store, clock, cache };
};

describe('Class: SubscriptionCache', () => {
  describe('Method: get', () => {
    it('serves a fresh entry at or above the asked version from memory', async () => {
      // Prepare
      const { store, clock, cache } = setUp();
      await cache.get({ tenantId: TENANT }, ID, 3);

      // Act
      clock.now += MAX_AGE_MS - 1;
      const subscription = await cache.get({ tenantId: TENANT }, ID, 2);

      // Assess
      expect(subscription?.version).toBe(3);
      expect(store.calls.get).toBe(1);
    });

    it('lets concurrent gets of one subscription share one read', async () => {
      // Prepare
      const { store, cache } = setUp();

      // Act
      const read = await Promise.all(Array.from({ length: 10 }, () => cache.get({ tenantId: TENANT }, ID, 3)));

      // Assess
      expect(read.map((subscription) => subscription?.version)).toEqual(Array(10).fill(3));
      expect(store.calls.get).toBe(1);
    });

    it('re-reads when a message names a newer version than the cached one', async () => {
      // Prepare
      const { store, cache } = setUp();
      await cache.get({ tenantId: TENANT }, ID, 3);
      await store.update({ tenantId: TENANT }, ID, { enabled: false, updatedAt: '2026-01-02T00:00:00.000Z' });

      // Act
      const subscription = await cache.get({ tenantId: TENANT }, ID, 4);

      // Assess
      expect(subscription).toMatchObject({ version: 4, enabled: false });
      expect(store.calls.get).toBe(2);
    });

    it('re-reads once the entry is older than maxAgeMs', async () => {
      // Prepare
      const { store, clock, cache } = setUp();
      await cache.get({ tenantId: TENANT }, ID, 3);

      // Act
      clock.now += MAX_AGE_MS;
      await cache.get({ tenantId: TENANT }, ID, 3);

      // Assess
      expect(store.calls.get).toBe(2);
    });

    it('does not cache a missing subscription, so a later create is seen at once', async () => {
      // Prepare
      const { store, cache } = setUp();
      const missing = await cache.get({ tenantId: TENANT }, 'sub_new', 0);
      await store.create(aSubscription({ tenantId: TENANT, id: 'sub_new', version: 1 }));

      // Act
      const found = await cache.get({ tenantId: TENANT }, 'sub_new', 1);

      // Assess
      expect(missing).toBeUndefined();
      expect(found?.id).toBe('sub_new');
    });
  });

  describe('Method: newest', () => {
    it('gives the copy held when it was written after the one given, however old the entry, without reading', async () => {
      // Prepare
      const { store, clock, cache } = setUp();
      const seen = (await cache.get({ tenantId: TENANT }, ID, 3))!;
      cache.remember({ ...seen, circuitOpenedAt: 'then', healthRevision: 2 });
      clock.now += MAX_AGE_MS * 10;

      // Act & Assess
      expect(cache.newest(seen).circuitOpenedAt).toBe('then');
      expect(cache.newest({ ...seen, healthRevision: 3 }).circuitOpenedAt).toBeUndefined();
      expect(cache.newest({ ...seen, id: 'sub_not_held' }).id).toBe('sub_not_held');
      expect(store.calls.get).toBe(1);
    });
  });

  describe('Method: remember', () => {
    it('serves a subscription this environment just wrote without reading the store', async () => {
      // Prepare
      const { store, cache } = setUp();
      const current = (await cache.get({ tenantId: TENANT }, ID, 3))!;

      // Act
      cache.remember({ ...current, enabled: false, version: current.version + 1 });
      const next = await cache.get({ tenantId: TENANT }, ID, current.version + 1);

      // Assess
      expect(next?.enabled).toBe(false);
      expect(store.calls.get).toBe(1);
    });

    it('keeps the copy written last when two writes are answered out of order', async () => {
      // Prepare
      const { cache } = setUp();
      const current = (await cache.get({ tenantId: TENANT }, ID, 3))!;
      const counted = { ...current, circuitFailures: 4, healthRevision: 4 };
      const opened = { ...current, circuitFailures: 3, circuitOpenedAt: 'then', healthRevision: 5 };

      // Act
      cache.remember(opened);
      cache.remember(counted);
      const served = await cache.get({ tenantId: TENANT }, ID, 3);

      // Assess
      expect(served?.circuitOpenedAt).toBe('then');
    });

    it('takes a newer version over a higher health revision of an older one', async () => {
      // Prepare
      const { cache } = setUp();
      const current = (await cache.get({ tenantId: TENANT }, ID, 3))!;

      // Act
      cache.remember({ ...current, healthRevision: 9 });
      cache.remember({ ...current, enabled: false, version: 4, healthRevision: 2 });
      const served = await cache.get({ tenantId: TENANT }, ID, 3);

      // Assess
      expect(served).toMatchObject({ enabled: false, version: 4 });
    });

    it('does not let a read that began before a write put the older copy back', async () => {
      // Prepare
      const { store, clock, cache } = setUp();
      await cache.get({ tenantId: TENANT }, ID, 3);
      clock.now += MAX_AGE_MS;
      const stale = (await store.get({ tenantId: TENANT }, ID))!;
      let answer: (subscription: typeof stale) => void = () => undefined;
      store.get = () => new Promise((resolve) => (answer = resolve));

      // Act
      const reading = cache.get({ tenantId: TENANT }, ID, 3);
      cache.remember({ ...stale, circuitOpenedAt: 'then', healthRevision: 1 });
      answer(stale);
      await reading;
      store.get = () => Promise.reject(new Error('no second read'));
      const served = await cache.get({ tenantId: TENANT }, ID, 3);

      // Assess
      expect(served?.circuitOpenedAt).toBe('then');
    });
  });

  describe('Method: prefetch', () => {
    const GROUP = ['sub_a', 'sub_b', 'sub_c'];
    const setUpGroup = () => {
      const store = new InMemorySubscriptionStore(GROUP.map((id) => aSubscription({ tenantId: TENANT, id, version: 1 })));
      const cache = new SubscriptionCache(store, MAX_AGE_MS, () => 1_000_000);
      return { store, cache };
    };

    it("lets a group's gets share one batch read instead of one read each", async () => {
      // Prepare
      const { store, cache } = setUpGroup();

      // Act
      cache.prefetch({ tenantId: TENANT }, GROUP.map((id) => ({ id, version: 1 })));
      const read = await Promise.all(GROUP.map((id) => cache.get({ tenantId: TENANT }, id, 1)));

      // Assess
      expect(read.map((subscription) => subscription?.id)).toEqual(GROUP);
      expect(store.calls).toMatchObject({ getMany: 1, get: 0 });
    });

    it('reads only what is not cached fresh, and nothing for a single one', async () => {
      // Prepare
      const { store, cache } = setUpGroup();
      await cache.get({ tenantId: TENANT }, 'sub_a', 1);
      await cache.get({ tenantId: TENANT }, 'sub_b', 1);

      // Act
      cache.prefetch({ tenantId: TENANT }, GROUP.map((id) => ({ id, version: 1 })));
      await cache.get({ tenantId: TENANT }, 'sub_c', 1);

      // Assess
      expect(store.calls).toMatchObject({ getMany: 0, get: 3 });
    });

    it('reads on its own a subscription the batch did not return, and every one when the batch fails', async () => {
      // Prepare
      const { store, cache } = setUpGroup();
      await store.delete({ tenantId: TENANT }, 'sub_c');
      const failing = setUpGroup();
      failing.store.getMany = () => Promise.reject(new Error('throttled'));

      // Act
      cache.prefetch({ tenantId: TENANT }, GROUP.map((id) => ({ id, version: 1 })));
      const read = await Promise.all(GROUP.map((id) => cache.get({ tenantId: TENANT }, id, 1)));
      failing.cache.prefetch({ tenantId: TENANT }, GROUP.map((id) => ({ id, version: 1 })));
      const readAfterFailure = await Promise.all(GROUP.map((id) => failing.cache.get({ tenantId: TENANT }, id, 1)));

      // Assess
      expect(read.map((subscription) => subscription?.id)).toEqual(['sub_a', 'sub_b', undefined]);
      expect(store.calls).toMatchObject({ getMany: 1, get: 1 });
      expect(readAfterFailure.map((subscription) => subscription?.id)).toEqual(GROUP);
      expect(failing.store.calls.get).toBe(3);
    });
  });

  describe('Method: seed', () => {
    it('serves copies read elsewhere without a read, for what is left of maxAgeMs after they were read', async () => {
      // Prepare
      const { store, clock, cache } = setUp();
      const copy = aSubscription({ tenantId: TENANT, id: ID, version: 3, url: 'https://seeded.example.com/hook' });

      // Act
      cache.seed([copy], clock.now - 10_000);
      const seeded = await cache.get({ tenantId: TENANT }, ID, 3);
      const readsWhileFresh = store.calls.get;
      clock.now += MAX_AGE_MS - 10_000;
      const afterMaxAge = await cache.get({ tenantId: TENANT }, ID, 3);

      // Assess
      expect(seeded?.url).toBe('https://seeded.example.com/hook');
      expect(readsWhileFresh).toBe(0);
      expect(afterMaxAge?.url).not.toBe('https://seeded.example.com/hook');
      expect(store.calls.get).toBe(1);
    });

    it('never puts back a subscription a later read found gone', async () => {
      // Prepare
      const { store, clock, cache } = setUp();
      const sealedAt = clock.now;
      clock.now += 1_000;
      await store.delete({ tenantId: TENANT }, ID);
      await cache.get({ tenantId: TENANT }, ID, 3);

      // Act
      cache.seed([aSubscription({ tenantId: TENANT, id: ID, version: 3 })], sealedAt);
      const afterSeed = await cache.get({ tenantId: TENANT }, ID, 3);

      // Assess
      expect(afterSeed).toBeUndefined();
      expect(store.calls.get).toBe(2);
    });

    it('ignores copies read maxAgeMs ago or more, and never replaces a copy written later', async () => {
      // Prepare
      const { store, clock, cache } = setUp();
      const stale = aSubscription({ tenantId: TENANT, id: ID, version: 3, url: 'https://stale.example.com/hook' });
      const later = setUp();
      await later.cache.get({ tenantId: TENANT }, ID, 3);
      later.cache.remember(aSubscription({ tenantId: TENANT, id: ID, version: 4, enabled: false }));

      // Act
      cache.seed([stale], clock.now - MAX_AGE_MS);
      const afterStaleSeed = await cache.get({ tenantId: TENANT }, ID, 3);
      later.cache.seed([aSubscription({ tenantId: TENANT, id: ID, version: 3 })], later.clock.now);
      const afterOlderSeed = await later.cache.get({ tenantId: TENANT }, ID, 3);

      // Assess
      expect(afterStaleSeed?.url).not.toBe('https://stale.example.com/hook');
      expect(store.calls.get).toBe(1);
      expect(afterOlderSeed).toMatchObject({ version: 4, enabled: false });
    });
  });
});
