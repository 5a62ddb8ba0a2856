import { describe, expect, it } from 'vitest';
import { BREAKER_TIMINGS, CircuitBreaker, gate, isUnanswered, type BreakerSettings } from '../../../lambdas/delivery/circuit-breaker';
import { aSubscription, response, transportError } from '../../kit/builders';
import { InMemorySubscriptionStore } from '../../kit/fakes';
import { SubscriptionCache } from '../../../lambdas/delivery/subscription-cache';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const SETTINGS: BreakerSettings = { failureThreshold: 3, ...BREAKER_TIMINGS };
const iso = (ms: number) => new Date(ms).toISOString();
const TENANT = 'tenant-1';
const ID = 'sub_01HZZZZZZZZZZZZZZZZZZZZZZZ';

const setUp = () => {
  const store = new InMemorySubscriptionStore([aSubscription({ tenantId: TENANT, id: ID })]);
  const breaker = new CircuitBreaker(store, SETTINGS);
  const current = async () => (await store.get({ tenantId: TENANT }, ID))!;
  return { store, breaker, current };
};

describe('Function: gate', () => {
  it('lets every delivery through while the circuit is closed', () => {
    expect(gate({ circuitFailures: 2 }, NOW, SETTINGS, 0.5)).toEqual({ kind: 'send' });
  });

  it('makes deliveries wait until the next probe while the circuit is open, spread over one probe interval after it', () => {
    // Prepare: opened 10 s ago, next probe in 5 s.
    const circuit = { circuitOpenedAt: iso(NOW - 10_000), circuitNextProbeAt: iso(NOW + 5_000), circuitProbeSeconds: 5 };

    // Act
    const earliest = gate(circuit, NOW, SETTINGS, 0);
    const latest = gate(circuit, NOW, SETTINGS, 1);

    // Assess
    expect(earliest).toEqual({ kind: 'wait', waitMs: 5_000 });
    expect(latest).toEqual({ kind: 'wait', waitMs: 10_000 });
  });

  it('makes deliveries of a circuit open for days wait a third of that, at most 6 h, not just until the next probe', () => {
    // Prepare: open for 3 days, next probe in a minute.
    const circuit = { circuitOpenedAt: iso(NOW - 3 * 86_400_000), circuitNextProbeAt: iso(NOW + 60_000), circuitProbeSeconds: 600 };
    const hour = { circuitOpenedAt: iso(NOW - 3_600_000), circuitNextProbeAt: iso(NOW + 60_000), circuitProbeSeconds: 600 };

    // Assess
    expect(gate(circuit, NOW, SETTINGS, 0)).toEqual({ kind: 'wait', waitMs: 6 * 3_600_000 });
    expect(gate(hour, NOW, SETTINGS, 0)).toEqual({ kind: 'wait', waitMs: 1_200_000 });
  });

  it('offers the probe once it is due, doubling the interval up to 10 minutes', () => {
    // Assess
    expect(gate({ circuitOpenedAt: iso(NOW - 5_000), circuitNextProbeAt: iso(NOW), circuitProbeSeconds: 5 }, NOW, SETTINGS, 0.5)).toEqual({
      kind: 'probe',
      seenNextProbeAt: iso(NOW),
      nextProbeAt: iso(NOW + 10_000),
      probeSeconds: 10,
    });
    expect(gate({ circuitOpenedAt: iso(NOW - 86_400_000), circuitNextProbeAt: iso(NOW), circuitProbeSeconds: 600 }, NOW, SETTINGS, 0.5)).toMatchObject({
      kind: 'probe',
      nextProbeAt: iso(NOW + 600_000),
      probeSeconds: 600,
    });
  });
});

describe('Function: isUnanswered', () => {
  it.each(['timeout', 'connection', 'dns', 'tls'] as const)('counts %s as no answer', (error) => {
    expect(isUnanswered(transportError(error))).toBe(true);
  });

  it.each([200, 500, 503, 410])('does not count an HTTP %i: the endpoint answered', (status) => {
    expect(isUnanswered(response(status))).toBe(false);
  });

  it('does not count a target the SSRF guard refused', () => {
    expect(isUnanswered(transportError('blocked_target'))).toBe(false);
  });
});

describe('Class: CircuitBreaker', () => {
  describe('Method: afterAttempt', () => {
    it('opens the circuit at the threshold of attempts in a row without an answer, recording the last error', async () => {
      // Prepare
      const { breaker, current } = setUp();

      // Act
      const changes = [];
      for (let i = 0; i < 3; i += 1) changes.push(await breaker.afterAttempt(await current(), transportError('timeout', 'no complete answer'), NOW + i));

      // Assess
      expect(changes).toEqual([undefined, undefined, 'opened']);
      expect(await current()).toMatchObject({
        circuitFailures: 3,
        circuitOpenedAt: iso(NOW + 2),
        circuitNextProbeAt: iso(NOW + 2 + 5_000),
        circuitProbeSeconds: 5,
        circuitLastError: 'timeout: no complete answer',
        version: 1,
      });
    });

    it('starts the count again after an answer: failures that are not consecutive never open it', async () => {
      // Prepare
      const { breaker, current } = setUp();

      // Act: two failures, an answer, two failures.
      await breaker.afterAttempt(await current(), transportError('connection'), NOW);
      await breaker.afterAttempt(await current(), transportError('connection'), NOW + 1);
      await breaker.afterAttempt(await current(), response(500), NOW + 2);
      await breaker.afterAttempt(await current(), transportError('connection'), NOW + 3);
      const last = await breaker.afterAttempt(await current(), transportError('connection'), NOW + 4);

      // Assess
      expect(last).toBeUndefined();
      expect(await current()).toMatchObject({ circuitFailures: 2 });
      expect((await current()).circuitOpenedAt).toBeUndefined();
    });

    it('closes an open circuit at the first answer and clears the count', async () => {
      // Prepare
      const { breaker, current } = setUp();
      for (let i = 0; i < 3; i += 1) await breaker.afterAttempt(await current(), transportError('timeout'), NOW);

      // Act
      const change = await breaker.afterAttempt(await current(), response(200), NOW + 6_000);

      // Assess
      expect(change).toBe('closed');
      const closed = await current();
      expect([closed.circuitOpenedAt, closed.circuitFailures, closed.circuitNextProbeAt]).toEqual([undefined, undefined, undefined]);
      expect(closed.circuitLastError).toBe('timeout: timeout failure');
    });

    it('writes nothing for an answer from an endpoint with no failures counted', async () => {
      // Prepare
      const { breaker, current, store } = setUp();
      const before = JSON.stringify(await current());

      // Act
      const change = await breaker.afterAttempt(await current(), response(200), NOW);

      // Assess
      expect(change).toBeUndefined();
      expect(JSON.stringify(await store.get({ tenantId: TENANT }, ID))).toBe(before);
    });

    it('counts ten failures that end at once one after another: the count up to the threshold, the opening, and nothing more', async () => {
      // Prepare: writes that take a while, so all ten are in hand before the first is answered
      const { store, current } = setUp();
      const writes: string[] = [];
      const slow = <A extends unknown[], R>(name: string, write: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
        writes.push(name);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return write(...args);
      };
      const slowStore = Object.assign(Object.create(store) as InMemorySubscriptionStore, {
        countUnanswered: slow('count', store.countUnanswered.bind(store)),
        openCircuit: slow('open', store.openCircuit.bind(store)),
      });
      const cache = new SubscriptionCache(store, 30_000);
      const breaker = new CircuitBreaker(slowStore, SETTINGS, (s) => cache.remember(s), undefined, (s) => cache.newest(s));
      const seen = await current();

      // Act: every attempt started from the same copy, with the circuit closed
      const changes = await Promise.all(Array.from({ length: 10 }, (_, i) => breaker.afterAttempt(seen, transportError('timeout'), NOW + i)));

      // Assess
      expect(writes).toEqual(['count', 'count', 'count', 'open']);
      expect(changes.filter((change) => change === 'opened')).toHaveLength(1);
      expect(await current()).toMatchObject({ circuitFailures: 3, circuitOpenedAt: iso(NOW + 2) });
    });

    it('lets the attempt stand when counting it fails: the error is reported, nothing thrown', async () => {
      // Prepare
      const { store, current } = setUp();
      const errors: unknown[] = [];
      const failing = Object.assign(Object.create(store) as InMemorySubscriptionStore, {
        countUnanswered: async () => Promise.reject(new Error('throttled')),
      });
      const breaker = new CircuitBreaker(failing, SETTINGS, undefined, (error) => errors.push(error));

      // Act
      const change = await breaker.afterAttempt(await current(), transportError('timeout'), NOW);

      // Assess
      expect(change).toBeUndefined();
      expect(errors).toEqual([new Error('throttled')]);
    });
  });

  describe('Method: admit', () => {
    it('gives a due probe to one delivery only; the others wait for the next one', async () => {
      // Prepare: open, probe due now.
      const { breaker, current } = setUp();
      for (let i = 0; i < 3; i += 1) await breaker.afterAttempt(await current(), transportError('timeout'), NOW);
      const seen = await current();
      const due = Date.parse(seen.circuitNextProbeAt!);

      // Act: two deliveries with the same view of the circuit.
      const first = await breaker.admit(seen, due, 0.5);
      const second = await breaker.admit(seen, due, 0.5);

      // Assess
      expect(first).toEqual({ kind: 'probe' });
      expect(second).toEqual({ kind: 'wait', waitMs: 10_000 });
      expect(await current()).toMatchObject({ circuitNextProbeAt: iso(due + 10_000), circuitProbeSeconds: 10 });
    });

    it('lets everything through when the breaker is off (threshold 0)', async () => {
      // Prepare
      const { store, current } = setUp();
      const off = new CircuitBreaker(store, { ...SETTINGS, failureThreshold: 0 });
      for (let i = 0; i < 10; i += 1) await off.afterAttempt(await current(), transportError('timeout'), NOW);

      // Assess
      expect((await current()).circuitFailures).toBeUndefined();
      expect(await off.admit(await current(), NOW, 0.5)).toEqual({ kind: 'send' });
    });
  });
});
