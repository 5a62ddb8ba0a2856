import type { SlotLease, SlotPool, SlowAttemptSlots } from '../core/ports';
import { OneAtATime } from './one-at-a-time';
import { slotPoolKey } from './endpoint-key';

/**
 * The shared slow-attempt slots, asked by this instance one request at a time per pool and with
 * its own leases counted: an instance that already holds all of a pool's slots cuts the next slow
 * attempt without asking. Attempts to an endpoint that stops answering reach the slow-attempt
 * threshold together (they were sent together), so without this each of them would ask DynamoDB,
 * and read the slots again when the slot it tried was held, only to be refused.
 */
export class HeldSlots implements SlowAttemptSlots {
  private readonly held = new Map<string, number>();
  private readonly asking = new OneAtATime();

  constructor(private readonly shared: SlowAttemptSlots) {}

  acquire(pool: SlotPool, limit: number, untilMs: number, nowMs: number): Promise<SlotLease | undefined> {
    const key = slotPoolKey(pool);
    return this.asking.run(key, async () => {
      if (this.heldFor(key) >= limit) return undefined;
      const lease = await this.shared.acquire(pool, limit, untilMs, nowMs);
      if (lease === undefined) return undefined;
      this.held.set(key, this.heldFor(key) + 1);
      return this.counted(key, lease);
    });
  }

  private heldFor(key: string): number {
    return this.held.get(key) ?? 0;
  }

  /** The lease, counted as held until its release is answered (or fails: the slot then ends by itself). */
  private counted(key: string, lease: SlotLease): SlotLease {
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        try {
          await lease.release();
        } finally {
          const left = this.heldFor(key) - 1;
          if (left > 0) this.held.set(key, left);
          else this.held.delete(key);
        }
      },
    };
  }
}
