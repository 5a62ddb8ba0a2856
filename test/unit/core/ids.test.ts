import fc from 'fast-check';
import { decodeTime } from 'ulid';
import { describe, expect, it } from 'vitest';
import { idBoundary, isId, newId, type IdPrefix } from '../../../lambdas/core/ids';

/**
 * newId shares one monotonic ULID factory per process: an id asked for at an earlier time than a
 * previous one is stamped with the later time to keep the order. Tests that care about the time
 * in an id therefore only ever move this clock forward.
 */
let clock = Date.UTC(2027, 0, 1);
const later = (deltaMs: number) => (clock += deltaMs);

const prefixArb = fc.constantFrom<IdPrefix>('evt', 'sub', 'key', 'run');

describe('Function: newId', () => {
  it.each<IdPrefix>(['evt', 'sub', 'key', 'run'])('makes a %s_ id of 26 Crockford characters', (prefix) => {
    // Act
    const id = newId(prefix, later(1));

    // Assess
    expect(id).toMatch(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`));
    expect(isId(prefix, id)).toBe(true);
  });

  it('stamps the id with the given time', () => {
    // Prepare
    const at = later(1000);

    // Act
    const id = newId('evt', at);

    // Assess
    expect(decodeTime(id.slice(4))).toBe(at);
  });

  it('sorts ids in creation order, also within one millisecond', () => {
    // Prepare
    const at = later(1);

    // Act
    const ids = Array.from({ length: 200 }, (_, i) => newId('evt', at + Math.floor(i / 50)));

    // Assess
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps the order when asked for an earlier time than the last id', () => {
    // Prepare
    const first = newId('evt', later(10));

    // Act
    const second = newId('evt', clock - 5000);

    // Assess
    expect(second > first).toBe(true);
  });

  it('sorts any sequence of ids made at non-decreasing times', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 5000 }), { minLength: 1, maxLength: 50 }), (deltas) => {
        // Act
        const ids = deltas.map((delta) => newId('sub', later(delta)));

        // Assess
        expect([...ids].sort()).toEqual(ids);
      }),
    );
  });
});

describe('Function: isId', () => {
  it('refuses a wrong prefix, a short body and a non-Crockford character', () => {
    // Prepare
    const id = newId('evt', later(1));

    // Act & Assess
    expect(isId('sub', id)).toBe(false);
    expect(isId('evt', id.slice(0, -1))).toBe(false);
    expect(isId('evt', `${id.slice(0, -1)}U`)).toBe(false);
    expect(isId('evt', id.replace('evt_', 'evt-'))).toBe(false);
  });
});

describe('Function: idBoundary', () => {
  it('brackets every id made at that time between its lowest and highest boundary', () => {
    fc.assert(
      fc.property(prefixArb, fc.nat({ max: 10_000 }), (prefix, delta) => {
        // Prepare
        const at = later(delta + 1);
        const id = newId(prefix, at);

        // Act
        const lowest = idBoundary(prefix, at, 'lowest');
        const highest = idBoundary(prefix, at, 'highest');

        // Assess
        expect(lowest <= id).toBe(true);
        expect(id <= highest).toBe(true);
        expect(isId(prefix, lowest)).toBe(true);
        expect(isId(prefix, highest)).toBe(true);
      }),
    );
  });

  it('excludes ids made a millisecond outside the window', () => {
    // Prepare
    const before = newId('evt', later(10));
    const at = later(1);
    const after = newId('evt', later(1));

    // Act
    const lowest = idBoundary('evt', at, 'lowest');
    const highest = idBoundary('evt', at, 'highest');

    // Assess
    expect(before < lowest).toBe(true);
    expect(after > highest).toBe(true);
  });

  it('encodes the time the same way the ULID library does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (time) => {
        // Act
        const boundary = idBoundary('evt', time, 'lowest');

        // Assess
        expect(decodeTime(boundary.slice(4))).toBe(time);
      }),
    );
  });

  it('treats a negative or fractional time as its floor, never below zero', () => {
    expect(idBoundary('evt', -5, 'lowest')).toBe(`evt_${'0'.repeat(26)}`);
    expect(idBoundary('evt', 1000.9, 'lowest')).toBe(idBoundary('evt', 1000, 'lowest'));
  });
});
