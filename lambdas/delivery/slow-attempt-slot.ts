import type { DeliveryMessage } from '../core/messages';
import type { SlotLease, SlotPool, SlowAttemptSlots, WebhookRequest } from '../core/ports';

/**
 * The limits on slow attempts: an attempt still unanswered `afterMs` after it got its connection
 * needs one of its endpoint's `limit` slots and one of the `allEndpointsLimit` slots that every
 * endpoint shares (both shared by every instance) to keep waiting; without either it is cut there.
 * A limit of 0 turns that limit off.
 */
export interface SlowAttemptPolicy {
  slots: SlowAttemptSlots;
  afterMs: number;
  limit: number;
  allEndpointsLimit: number;
  /** Told when a slot could not be asked for (a DynamoDB error): the attempt then keeps waiting. */
  onError?: (error: unknown) => void;
}

/**
 * The slow-attempt check for one attempt: past the threshold it asks for one of the endpoint's
 * slots, then for one of all endpoints' share, and without both the attempt is cut. Slots are
 * released as soon as the attempt ends.
 */
export const slowAttemptSlot = (
  message: Pick<DeliveryMessage, 'tenantId' | 'subscriptionId'>,
  policy: SlowAttemptPolicy,
  timeoutMs: number,
  now: () => number,
): { slow?: WebhookRequestSlow; release: () => Promise<void> } => {
  const limits: { pool: SlotPool; limit: number; refusal: string }[] = [
    {
      pool: { tenantId: message.tenantId, subscriptionId: message.subscriptionId },
      limit: policy.limit,
      refusal: `${policy.limit} slower requests to this endpoint were already in flight`,
    },
    {
      pool: 'all endpoints',
      limit: policy.allEndpointsLimit,
      refusal: `${policy.allEndpointsLimit} slower requests to all endpoints together were already in flight`,
    },
  ];
  const pools = limits.filter(({ limit }) => limit > 0);
  if (pools.length === 0) return { release: async () => undefined };
  const leases: SlotLease[] = [];
  let ended = false;
  const releaseHeld = async (): Promise<void> => {
    const held = leases.splice(0);
    await Promise.all(
      held.map(async (lease) => {
        try {
          await lease.release();
        } catch (error) {
          // The slot ends by itself when the attempt could no longer be running.
          policy.onError?.(error);
        }
      }),
    );
  };
  const release = async (): Promise<void> => {
    ended = true;
    await releaseHeld();
  };
  const check = async (): Promise<string | undefined> => {
    const nowMs = now();
    for (const { pool, limit, refusal } of pools) {
      let lease: SlotLease | undefined;
      try {
        lease = await policy.slots.acquire(pool, limit, nowMs + timeoutMs, nowMs);
      } catch (error) {
        policy.onError?.(error);
        continue;
      }
      if (lease === undefined) {
        await releaseHeld();
        return `cut after ${policy.afterMs} ms without an answer: ${refusal}`;
      }
      leases.push(lease);
      // The attempt ended while this slot was asked for: nothing will release it later.
      if (ended) await releaseHeld();
    }
    return undefined;
  };
  return { slow: { afterMs: policy.afterMs, check }, release };
};

type WebhookRequestSlow = NonNullable<WebhookRequest['slow']>;
