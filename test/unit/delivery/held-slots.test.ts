import { describe, expect, it } from 'vitest';
import type { SlotLease, SlotPool, SlowAttemptSlots } from '../../../lambdas/core/ports';
import { slotPoolKey } from '../../../lambdas/delivery/endpoint-key';
import { HeldSlots } from '../../../lambdas/delivery/held-slots';

const NOW = 1_000_000;
const LIMIT = 2;
const ENDPOINT_A = { tenantId: 't', subscriptionId: 'sub_a' };
const ENDPOINT_B = { tenantId: 't', subscriptionId: 'sub_b' };

/** Shared slots in memory, answering each request after a few milliseconds, counting the requests. */
class CountingSlots implements SlowAttemptSlots {
  requests = 0;
  private readonly taken = new Map<string, number>();

  async acquire(pool: SlotPool, limit: number): Promise<SlotLease | undefined> {
    this.requests += 1;
    await new Promise((resolve) => setTimeout(resolve, 2));
    const key = slotPoolKey(pool);
    const taken = this.taken.get(key) ?? 0;
    if (taken >= limit) return undefined;
    this.taken.set(key, taken + 1);
    return {
      release: async () => {
        this.requests += 1;
        this.taken.set(key, (this.taken.get(key) ?? 1) - 1);
      },
    };
  }
}

describe('Class: HeldSlots', () => {
  it('asks for an endpoint slot only while this instance holds fewer than the limit: five slow attempts at once make two requests', async () => {
    // Prepare
    const shared = new CountingSlots();
    const slots = new HeldSlots(shared);

    // Act
    const leases = await Promise.all(Array.from({ length: 5 }, () => slots.acquire(ENDPOINT_A, LIMIT, NOW + 15_000, NOW)));

    // Assess
    expect(leases.filter((lease) => lease !== undefined)).toHaveLength(LIMIT);
    expect(shared.requests).toBe(LIMIT);
  });

  it('asks again once one of its leases is released, and counts each endpoint apart', async () => {
    // Prepare
    const shared = new CountingSlots();
    const slots = new HeldSlots(shared);
    const [first] = await Promise.all([slots.acquire(ENDPOINT_A, LIMIT, NOW, NOW), slots.acquire(ENDPOINT_A, LIMIT, NOW, NOW)]);

    // Act
    await first!.release();
    await first!.release();
    const again = await slots.acquire(ENDPOINT_A, LIMIT, NOW, NOW);
    const other = await slots.acquire(ENDPOINT_B, LIMIT, NOW, NOW);

    // Assess: two takes, one release (the second call does nothing), a take for each acquire after it
    expect(again).toBeDefined();
    expect(other).toBeDefined();
    expect(shared.requests).toBe(5);
  });

  it('passes on a refusal of the shared slots (another instance holds them) and a failure to ask', async () => {
    // Prepare
    const refusing = new HeldSlots({ acquire: async () => undefined });
    const failing = new HeldSlots({ acquire: async () => Promise.reject(new Error('throttled')) });

    // Act & Assess
    await expect(refusing.acquire(ENDPOINT_A, LIMIT, NOW, NOW)).resolves.toBeUndefined();
    await expect(failing.acquire(ENDPOINT_A, LIMIT, NOW, NOW)).rejects.toThrow('throttled');
    await expect(failing.acquire(ENDPOINT_A, LIMIT, NOW, NOW)).rejects.toThrow('throttled');
  });
});
