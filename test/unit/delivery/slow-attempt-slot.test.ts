import { describe, expect, it } from 'vitest';
import type { SlotLease, SlotPool, SlowAttemptSlots } from '../../../lambdas/core/ports';
import { slotPoolKey } from '../../../lambdas/delivery/endpoint-key';
import { slowAttemptSlot, type SlowAttemptPolicy } from '../../../lambdas/delivery/slow-attempt-slot';
import { InMemorySlowAttemptSlots } from '../../kit/fakes';

const NOW = 1_000_000;
const MESSAGE = { tenantId: 't', subscriptionId: 'sub_a' };
const ENDPOINT: SlotPool = MESSAGE;
const policy = (slots: SlowAttemptSlots, limits: Partial<SlowAttemptPolicy> = {}): SlowAttemptPolicy => ({
  slots,
  afterMs: 1_000,
  limit: 2,
  allEndpointsLimit: 3,
  ...limits,
});
const heldIn = (slots: InMemorySlowAttemptSlots, pool: 'endpoint' | 'all endpoints') =>
  slots.held.get(slotPoolKey(pool === 'endpoint' ? ENDPOINT : pool))?.length ?? 0;

describe('Function: slowAttemptSlot', () => {
  it('takes a slot of the endpoint and one of the share of all endpoints, and releases both when the attempt ends', async () => {
    // Prepare
    const slots = new InMemorySlowAttemptSlots();
    const attempt = slowAttemptSlot(MESSAGE, policy(slots), 15_000, () => NOW);

    // Act
    const cut = await attempt.slow!.check();
    const whileRunning = [heldIn(slots, 'endpoint'), heldIn(slots, 'all endpoints')];
    await attempt.release();

    // Assess
    expect(cut).toBeUndefined();
    expect(whileRunning).toEqual([1, 1]);
    expect([heldIn(slots, 'endpoint'), heldIn(slots, 'all endpoints')]).toEqual([0, 0]);
  });

  it('cuts the attempt when the share of all endpoints is held, naming it, and gives back the endpoint slot it took', async () => {
    // Prepare: another endpoint's attempts hold the whole share.
    const slots = new InMemorySlowAttemptSlots();
    for (let i = 0; i < 3; i++) await slots.acquire('all endpoints', 3, NOW + 15_000, NOW);
    const attempt = slowAttemptSlot(MESSAGE, policy(slots), 15_000, () => NOW);

    // Act
    const cut = await attempt.slow!.check();

    // Assess
    expect(cut).toBe('cut after 1000 ms without an answer: 3 slower requests to all endpoints together were already in flight');
    expect(heldIn(slots, 'endpoint')).toBe(0);
  });

  it('cuts on the endpoint limit first, without asking for the share', async () => {
    // Prepare
    const slots = new InMemorySlowAttemptSlots();
    for (let i = 0; i < 2; i++) await slots.acquire(ENDPOINT, 2, NOW + 15_000, NOW);
    const attempt = slowAttemptSlot(MESSAGE, policy(slots), 15_000, () => NOW);

    // Act
    const cut = await attempt.slow!.check();

    // Assess
    expect(cut).toBe('cut after 1000 ms without an answer: 2 slower requests to this endpoint were already in flight');
    expect(heldIn(slots, 'all endpoints')).toBe(0);
  });

  it('checks nothing when both limits are off, and only the share when the endpoint limit is off', async () => {
    // Prepare
    const slots = new InMemorySlowAttemptSlots();

    // Act
    const neither = slowAttemptSlot(MESSAGE, policy(slots, { limit: 0, allEndpointsLimit: 0 }), 15_000, () => NOW);
    const shareOnly = slowAttemptSlot(MESSAGE, policy(slots, { limit: 0 }), 15_000, () => NOW);
    await shareOnly.slow!.check();

    // Assess
    expect(neither.slow).toBeUndefined();
    expect([heldIn(slots, 'endpoint'), heldIn(slots, 'all endpoints')]).toEqual([0, 1]);
  });

  it('releases a slot granted after the attempt already ended', async () => {
    // Prepare: the shared slots answer only when told to.
    const released: string[] = [];
    let grant: () => void = () => undefined;
    const slow: SlowAttemptSlots = {
      acquire: (pool): Promise<SlotLease> =>
        new Promise((resolve) => {
          grant = () => resolve({ release: async () => void released.push(pool === 'all endpoints' ? pool : 'endpoint') });
        }),
    };
    const attempt = slowAttemptSlot(MESSAGE, policy(slow, { allEndpointsLimit: 0 }), 15_000, () => NOW);

    // Act: the answer arrives while the slot is asked for.
    const checking = attempt.slow!.check();
    await attempt.release();
    grant();
    await checking;

    // Assess
    expect(released).toEqual(['endpoint']);
  });

  it('lets the attempt keep waiting when a slot cannot be asked for, and reports the error', async () => {
    // Prepare
    const errors: unknown[] = [];
    const failing: SlowAttemptSlots = { acquire: () => Promise.reject(new Error('throttled')) };
    const attempt = slowAttemptSlot(MESSAGE, { ...policy(failing), onError: (error) => errors.push(error) }, 15_000, () => NOW);

    // Act
    const cut = await attempt.slow!.check();

    // Assess
    expect(cut).toBeUndefined();
    expect(errors).toHaveLength(2);
  });
});
