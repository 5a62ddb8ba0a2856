import fc from 'fast-check';
import { decodeTime } from 'ulid';
import { describe, expect, it } from 'vitest';
import { monotonicUlidFactory, ulidTime } from '../../../lambdas/core/ulid';

describe('Function: monotonicUlidFactory', () => {
  it('makes 26 Crockford characters whose time the reference implementation reads back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (time) => {
        const ulid = monotonicUlidFactory()(time);
        expect(ulid).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
        expect(decodeTime(ulid)).toBe(time);
        expect(ulidTime(ulid)).toBe(time);
      }),
    );
  });

  it('sorts in the order made, within one millisecond and when the clock goes back', () => {
    // Prepare
    const next = monotonicUlidFactory();
    const times = [1000, 1000, 1000, 999, 1001, 1001, 5, 2000];

    // Act
    const ulids = times.map((time) => next(time));

    // Assess
    expect([...ulids].sort()).toEqual(ulids);
    expect(new Set(ulids).size).toBe(ulids.length);
    expect(ulids.map((ulid) => ulidTime(ulid))).toEqual([1000, 1000, 1000, 1000, 1001, 1001, 1001, 2000]);
  });

  it('is random across factories, and refuses a time outside 48 bits', () => {
    expect(monotonicUlidFactory()(1)).not.toBe(monotonicUlidFactory()(1));
    expect(() => monotonicUlidFactory()(2 ** 48)).toThrow(RangeError);
    expect(() => monotonicUlidFactory()(-1)).toThrow(RangeError);
    expect(ulidTime('not-a-ulid')).toBeUndefined();
  });
});
