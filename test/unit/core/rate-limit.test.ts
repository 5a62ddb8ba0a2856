import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rateDecision } from '../../../lambdas/core/rate-limit';

describe('Function: rateDecision', () => {
  it('lets requests up to the limit through in the same second', () => {
    expect(rateDecision(1, 5, 0)).toEqual({ allowed: true });
    expect(rateDecision(5, 5, 0)).toEqual({ allowed: true });
  });

  it('defers the rest by the seconds the requests ahead of them need', () => {
    expect(rateDecision(6, 5, 0)).toEqual({ allowed: false, retryInSeconds: 1 });
    expect(rateDecision(11, 5, 0)).toEqual({ allowed: false, retryInSeconds: 2 });
    expect(rateDecision(11, 5, 0.9)).toEqual({ allowed: false, retryInSeconds: 3 });
  });

  it('never defers by less than a second, and by at most one second of jitter more than needed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (limit, count, random) => {
        const decision = rateDecision(count, limit, random);
        const needed = Math.ceil((count - limit) / limit);
        if (count <= limit) {
          expect(decision).toEqual({ allowed: true });
        } else {
          expect(decision.allowed).toBe(false);
          const wait = decision.allowed ? 0 : decision.retryInSeconds;
          expect(wait).toBeGreaterThanOrEqual(Math.max(1, needed));
          expect(wait).toBeLessThanOrEqual(needed + 1);
        }
      }),
    );
  });
});
