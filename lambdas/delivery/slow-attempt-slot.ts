import type { DeliveryMessage } from '../core/messages';
import type { SlotLease, SlowAttemptSlots, WebhookRequest } from '../core/ports';

/**
 * The per-endpoint limit on slow attempts: an attempt still unanswered `afterMs` after it got its
 * connection needs one of the endpoint's `limit` slots (shared by every instance) to keep waiting;
 * without one it is cut there. `limit` 0 turns the limit off.
 */
export interface SlowAttemptPolicy {
  slots: SlowAttemptSlots;
  afterMs: number;
  limit: number;
  /** Told when a slot could not be asked for (a DynamoDB error): the attempt then keeps waiting. */
  onError?: (error: unknown) => void;
}

/**
 * The slow-attempt check for one attempt: past the threshold it asks for one of the endpoint's
 * slots, and without one the attempt is cut. A slot is released as soon as the attempt ends.
 */
export const slowAttemptSlot = (
  message: Pick<DeliveryMessage, 'tenantId' | 'subscriptionId'>,
  policy: SlowAttemptPolicy,
  timeoutMs: number,
  now: () => number,
): { slow?: WebhookRequestSlow; release: () => Promise<void> } => {
  if (policy.limit === 0) return { release: async () => undefined };
  let lease: SlotLease | undefined;
  const check = async (): Promise<string | undefined> => {
    const nowMs = now();
    try {
      lease = await policy.slots.acquire(message.tenantId, message.subscriptionId, policy.limit, nowMs + timeoutMs, nowMs);
    } catch (error) {
      policy.onError?.(error);
      return undefined;
    }
    return lease === undefined
      ? `cut after ${policy.afterMs} ms without an answer: ${policy.limit} slower requests to this endpoint were already in flight`
      : undefined;
  };
  return {
    slow: { afterMs: policy.afterMs, check },
    release: async () => {
      try {
        await lease?.release();
      } catch (error) {
        // The slot ends by itself when the attempt could no longer be running.
        policy.onError?.(error);
      }
    },
  };
};

type WebhookRequestSlow = NonNullable<WebhookRequest['slow']>;
