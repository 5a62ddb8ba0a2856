/**
 * Per-subscription rate limits, shared by every delivery function instance through a counter per
 * second. A delivery over the limit is deferred to the second where it would fit, without an
 * attempt being counted.
 */
export type RateDecision = { allowed: true } | { allowed: false; retryInSeconds: number };

export interface RateLimiter {
  acquire(tenantId: string, subscriptionId: string, limitPerSecond: number, nowMs: number): Promise<RateDecision>;
}

/**
 * The decision for the `count`-th request of the current second: within the limit it goes now;
 * beyond it, it waits as many seconds as the requests ahead of it need, plus up to one second of
 * jitter so deferred deliveries do not all come back at the same instant.
 */
export const rateDecision = (count: number, limitPerSecond: number, random: number): RateDecision => {
  if (count <= limitPerSecond) return { allowed: true };
  const secondsAhead = Math.ceil((count - limitPerSecond) / limitPerSecond);
  return { allowed: false, retryInSeconds: secondsAhead + Math.round(random) };
};
