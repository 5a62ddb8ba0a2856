import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { snapshotKeyFrom } from '../../../lambdas/core/subscription-snapshot';
import { SNAPSHOT_KEY_MAX_AGE_MS, SnapshotKeys } from '../../../lambdas/pipeline/snapshot-keys';
import { InMemoryApiKeyStore } from '../../kit/fakes';

const SECRET = randomBytes(32).toString('base64url');

const setUp = () => {
  const store = new InMemoryApiKeyStore();
  store.settings = { secret: SECRET, unkeyedKeys: 'accepted', createdAt: '2026-01-01T00:00:00.000Z' };
  const clock = { now: 1_000_000 };
  const errors: unknown[] = [];
  const keys = new SnapshotKeys(store, (error) => errors.push(error), () => clock.now);
  return { store, clock, errors, keys };
};

describe('Class: SnapshotKeys', () => {
  it('reads on every call with a maximum age of 0 (a source that caches), deriving the key once per secret', async () => {
    // Prepare
    const store = new InMemoryApiKeyStore();
    store.settings = { secret: SECRET, unkeyedKeys: 'accepted', createdAt: '2026-01-01T00:00:00.000Z' };
    const keys = new SnapshotKeys(store, () => undefined, () => 1_000, 0);

    // Act
    const [first, second] = [await keys.current(), await keys.current()];

    // Assess
    expect(store.settingsReads).toBe(2);
    expect(second).toBe(first);
    expect(first?.equals(snapshotKeyFrom(SECRET))).toBe(true);
  });

  it('derives the key from the deployment secret, read once for concurrent callers and again after a minute', async () => {
    // Prepare
    const { store, clock, keys } = setUp();

    // Act
    const first = await Promise.all([keys.current(), keys.current(), keys.current()]);
    clock.now += SNAPSHOT_KEY_MAX_AGE_MS - 1;
    await keys.current();
    const readsWithinAMinute = store.settingsReads;
    clock.now += 1;
    await keys.current();

    // Assess
    expect(first.map((key) => key?.equals(snapshotKeyFrom(SECRET)))).toEqual([true, true, true]);
    expect(readsWithinAMinute).toBe(1);
    expect(store.settingsReads).toBe(2);
  });

  it('answers no key while the deployment has no secret, and after a failed read, which it reports and tries again a minute later', async () => {
    // Prepare
    const { store, errors, keys } = setUp();
    store.settings = undefined;
    const failing = setUp();
    failing.store.getChecksumSettings = () => Promise.reject(new Error('throttled'));

    // Act
    const withoutSecret = await keys.current();
    const afterFailure = await failing.keys.current();
    await failing.keys.current();
    const errorsWithinAMinute = failing.errors.length;
    failing.clock.now += SNAPSHOT_KEY_MAX_AGE_MS;
    await failing.keys.current();

    // Assess
    expect(withoutSecret).toBeUndefined();
    expect(afterFailure).toBeUndefined();
    expect(errorsWithinAMinute).toBe(1);
    expect(failing.errors).toHaveLength(2);
    expect(errors).toHaveLength(0);
  });
});
