import { describe, expect, it } from 'vitest';
import { EndpointHealthTracker, healthAction, MIN_FAILING_PERIOD_MS } from '../../../lambdas/delivery/endpoint-health';
import { aSubscription } from '../../kit/builders';
import { InMemorySubscriptionStore } from '../../kit/fakes';
import { SubscriptionCache } from '../../../lambdas/delivery/subscription-cache';

const NOW = Date.parse('2026-03-10T00:00:00.000Z');
const FIVE_DAYS = 5 * 86400 * 1000;

describe('Function: healthAction', () => {
  it.each([
    [{}, 'gone', { kind: 'disable', reason: 'endpoint_gone' }],
    [{ failingSince: '2026-03-09T00:00:00.000Z' }, 'gone', { kind: 'disable', reason: 'endpoint_gone' }],
    [{}, 'delivered', { kind: 'none' }],
    [{ failingSince: '2026-03-09T00:00:00.000Z' }, 'delivered', { kind: 'clear_failing' }],
    [{ failingSince: '2026-03-09T23:50:00.000Z' }, 'delivered', { kind: 'clear_failing' }],
    [{ failingSince: '2026-03-09T23:50:00.001Z' }, 'delivered', { kind: 'none' }],
    [{}, 'failed', { kind: 'mark_failing' }],
    [{ failingSince: '2026-03-09T00:00:00.000Z' }, 'failed', { kind: 'none' }],
    [{ failingSince: '2026-03-05T00:00:00.000Z' }, 'failed', { kind: 'disable', reason: 'failing_too_long' }],
  ] as const)('for %j and a %s attempt decides %j', (subscription, result, expected) => {
    expect(healthAction(subscription, result, NOW, FIVE_DAYS)).toEqual(expected);
  });
});

describe('Class: EndpointHealthTracker', () => {
  const setUp = (overrides = {}) => {
    const subscription = aSubscription(overrides);
    const store = new InMemorySubscriptionStore([subscription]);
    const changed: string[] = [];
    const tracker = new EndpointHealthTracker(store, FIVE_DAYS, (s) => changed.push(s.failingSince ?? (s.enabled ? 'healthy' : 'disabled')));
    return { subscription, store, tracker, changed };
  };

  it('starts a failing period on the first failure and ends it on a success once it has lasted ten minutes', async () => {
    // Prepare
    const { subscription, store, tracker, changed } = setUp();

    // Act
    await tracker.afterAttempt(subscription, 'failed', NOW);
    const failing = (await store.get(subscription, subscription.id))!;
    await tracker.afterAttempt(failing, 'delivered', NOW + 1000);
    await tracker.afterAttempt(failing, 'failed', NOW + 2000);
    const stillFailing = (await store.get(subscription, subscription.id))!;
    await tracker.afterAttempt(stillFailing, 'delivered', NOW + MIN_FAILING_PERIOD_MS);

    // Assess
    expect(failing.failingSince).toBe(new Date(NOW).toISOString());
    expect(stillFailing.failingSince).toBe(new Date(NOW).toISOString());
    expect((await store.get(subscription, subscription.id))?.failingSince).toBeUndefined();
    expect(changed).toEqual([new Date(NOW).toISOString(), 'healthy']);
  });

  it('disables an endpoint that has failed without a break for the whole period, with the reason and time', async () => {
    // Prepare
    const { subscription, store, tracker } = setUp({ failingSince: new Date(NOW - FIVE_DAYS).toISOString() });

    // Act
    const reason = await tracker.afterAttempt(subscription, 'failed', NOW);

    // Assess
    expect(reason).toBe('failing_too_long');
    expect(await store.get(subscription, subscription.id)).toMatchObject({
      enabled: false,
      disabledReason: 'failing_too_long',
      disabledAt: new Date(NOW).toISOString(),
    });
  });

  it('writes nothing for a healthy endpoint that delivers', async () => {
    // Prepare
    const { subscription, store, tracker } = setUp();

    // Act
    const reason = await tracker.afterAttempt(subscription, 'delivered', NOW);

    // Assess
    expect(reason).toBeUndefined();
    expect(store.calls.update).toBe(0);
  });

  it('lets the attempt stand when its health write fails: the error is reported, nothing thrown', async () => {
    // Prepare
    const subscription = aSubscription();
    const store = new InMemorySubscriptionStore([subscription]);
    const failing = Object.assign(Object.create(store) as InMemorySubscriptionStore, {
      setFailingSince: async () => Promise.reject(new Error('throttled')),
    });
    const errors: unknown[] = [];
    const tracker = new EndpointHealthTracker(failing, FIVE_DAYS, undefined, (error) => errors.push(error));

    // Act
    const reason = await tracker.afterAttempt(subscription, 'failed', NOW);

    // Assess
    expect(reason).toBeUndefined();
    expect(errors).toEqual([new Error('throttled')]);
  });

  it('starts the failing period once for ten failures that end at once, not once each', async () => {
    // Prepare: a write that takes a while, so all ten are in hand before it is answered
    const { subscription, store } = setUp();
    let writes = 0;
    const slowStore = Object.assign(Object.create(store) as InMemorySubscriptionStore, {
      setFailingSince: async (...args: Parameters<InMemorySubscriptionStore['setFailingSince']>) => {
        writes += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return store.setFailingSince(...args);
      },
    });
    const cache = new SubscriptionCache(store, 30_000);
    const tracker = new EndpointHealthTracker(slowStore, FIVE_DAYS, (s) => cache.remember(s), undefined, (s) => cache.newest(s));

    // Act: every attempt started from the same copy, not yet failing
    await Promise.all(Array.from({ length: 10 }, (_, i) => tracker.afterAttempt(subscription, 'failed', NOW + i)));

    // Assess
    expect(writes).toBe(1);
    expect((await store.get(subscription, subscription.id))!.failingSince).toBe(new Date(NOW).toISOString());
  });
});
