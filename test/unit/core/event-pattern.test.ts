import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesPattern, type EventPattern, type FilterEnvelope } from '../../../lambdas/core/event-pattern';
import { eventPatternError } from '../../../lambdas/core/event-pattern-schema';

const order = (data: unknown): FilterEnvelope => ({ type: 'order.created', data });
const onData = (field: string, matchers: unknown[]): EventPattern => ({ data: { [field]: matchers } });

/** Every pattern a test matches must first be one the API accepts. */
const matches = (pattern: EventPattern, envelope: FilterEnvelope): boolean => {
  expect(eventPatternError(pattern)).toBeUndefined();
  return matchesPattern(pattern, envelope);
};

describe('Function: matchesPattern', () => {
  describe('exact values', () => {
    it.each([
      [['EUR'], 'EUR', true],
      [['EUR', 'USD'], 'USD', true],
      [['EUR'], 'eur', false],
      [[300], 300, true],
      [[3.0e2], 300, true],
      [[300], '300', false],
      [[true], true, true],
      [[false], true, false],
      [[null], null, true],
      [[null], '', false],
      [[''], '', true],
      [[''], null, false],
    ])('%j against %j is %s', (values, value, expected) => {
      expect(matches(onData('f', values), order({ f: value }))).toBe(expected);
    });

    it('matches an array in the event when any element matches', () => {
      expect(matches(onData('tags', ['vip']), order({ tags: ['new', 'vip'] }))).toBe(true);
      expect(matches(onData('tags', ['vip']), order({ tags: ['new', ['vip']] }))).toBe(true);
      expect(matches(onData('tags', ['vip']), order({ tags: [] }))).toBe(false);
    });

    it('matches the type and needs every field named', () => {
      const pattern = { type: ['order.created'], data: { currency: ['EUR'] } };
      expect(matches(pattern, order({ currency: 'EUR' }))).toBe(true);
      expect(matches(pattern, { type: 'order.paid', data: { currency: 'EUR' } })).toBe(false);
      expect(matches(pattern, order({ total: 5 }))).toBe(false);
    });

    it('nests into objects, and an object is never a leaf value', () => {
      expect(matches({ data: { customer: { tier: ['gold'] } } }, order({ customer: { tier: 'gold' } }))).toBe(true);
      expect(matches(onData('customer', ['gold']), order({ customer: { tier: 'gold' } }))).toBe(false);
    });

    it('matches fields of an array of objects within one element only', () => {
      const lines = order({ lines: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 2 }] });
      expect(matches({ data: { lines: { sku: ['b'], qty: [2] } } }, lines)).toBe(true);
      expect(matches({ data: { lines: { sku: ['a'], qty: [2] } } }, lines)).toBe(false);
    });

    it('reads only fields of the event itself, never inherited ones', () => {
      expect(matches({ data: { constructor: [{ exists: true }] } }, order({}))).toBe(false);
      expect(matches(JSON.parse('{"data": {"__proto__": [{"exists": true}]}}') as EventPattern, order({}))).toBe(false);
      expect(matches(JSON.parse('{"data": {"__proto__": [1]}}') as EventPattern, order(JSON.parse('{"__proto__": 1}')))).toBe(true);
    });
  });

  describe('prefix, suffix, equals-ignore-case, wildcard', () => {
    it.each<[unknown, unknown, boolean]>([
      [{ prefix: 'ord_' }, 'ord_1', true],
      [{ prefix: 'ord_' }, 'ORD_1', false],
      [{ prefix: { 'equals-ignore-case': 'ord_' } }, 'ORD_1', true],
      [{ prefix: '1' }, 12, false],
      [{ suffix: '.png' }, 'a.png', true],
      [{ suffix: '.png' }, 'a.PNG', false],
      [{ suffix: { 'equals-ignore-case': '.png' } }, 'a.PNG', true],
      [{ 'equals-ignore-case': 'alice' }, 'ALICE', true],
      [{ 'equals-ignore-case': 'alice' }, 'alicia', false],
      [{ wildcard: 'eu-*-1' }, 'eu-west-1', true],
      [{ wildcard: 'eu-*-1' }, 'us-west-1', false],
      [{ wildcard: '*' }, 5, false],
    ])('%j against %j is %s', (matcher, value, expected) => {
      expect(matches(onData('f', [matcher]), order({ f: value }))).toBe(expected);
    });
  });

  describe('anything-but', () => {
    it.each<[unknown, unknown, boolean]>([
      ['initializing', 'running', true],
      ['initializing', 'initializing', false],
      [['stopped', 'overloaded'], 'overloaded', false],
      [['stopped', 'overloaded'], 'running', true],
      [123, 124, true],
      [[100, 200], 200, false],
      [[100, 200], '200', true],
      [{ prefix: 'init' }, 'initializing', false],
      [{ prefix: 'init' }, 'running', true],
      [{ suffix: '.png' }, 'a.png', false],
      [{ 'equals-ignore-case': ['a', 'b'] }, 'B', false],
      [{ wildcard: '*/lib/*' }, 'src/lib/x', false],
      [{ wildcard: '*/lib/*' }, 'src/x', true],
    ])('excluding %j, %j is %s', (excluded, value, expected) => {
      expect(matches(onData('f', [{ 'anything-but': excluded }]), order({ f: value }))).toBe(expected);
    });

    it('needs the field to be present', () => {
      expect(matches(onData('f', [{ 'anything-but': 'x' }]), order({}))).toBe(false);
    });
  });

  describe('numeric', () => {
    it.each<[unknown[], unknown, boolean]>([
      [['>', 0, '<=', 5], 5, true],
      [['>', 0, '<=', 5], 0, false],
      [['>=', 0, '<', 5], 0, true],
      [['<', 10], 9.99, true],
      [['=', 3.018e2], 301.8, true],
      [['=', 3], '3', false],
      [['>', 9007199254740992], 9007199254740993, false],
    ])('%j against %j is %s', (range, value, expected) => {
      expect(matches(onData('f', [{ numeric: range }]), order({ f: value }))).toBe(expected);
    });
  });

  describe('exists', () => {
    it('is about leaves: a field holding an object does not exist', () => {
      const exists = onData('f', [{ exists: true }]);
      const absent = onData('f', [{ exists: false }]);
      expect([matches(exists, order({ f: 0 })), matches(absent, order({ f: 0 }))]).toEqual([true, false]);
      expect([matches(exists, order({ f: null })), matches(absent, order({ f: null }))]).toEqual([true, false]);
      expect([matches(exists, order({})), matches(absent, order({}))]).toEqual([false, true]);
      expect([matches(exists, order({ f: { g: 1 } })), matches(absent, order({ f: { g: 1 } }))]).toEqual([false, true]);
      expect([matches(exists, order({ f: [] })), matches(absent, order({ f: [] }))]).toEqual([false, true]);
    });

    it('sees consumerId as absent when the event carries none', () => {
      expect(matches({ consumerId: [{ exists: false }] }, order({}))).toBe(true);
      expect(matches({ consumerId: ['c1'] }, { ...order({}), consumerId: 'c1' })).toBe(true);
    });
  });

  describe('$or', () => {
    it('matches when any alternative does, at the top or nested', () => {
      const top = { $or: [{ type: ['order.paid'] }, { data: { total: [{ numeric: ['>', 100] }] } }] };
      expect(matches(top, order({ total: 150 }))).toBe(true);
      expect(matches(top, order({ total: 50 }))).toBe(false);
      const nested = { data: { $or: [{ currency: ['EUR'] }, { country: ['DE'] }] } };
      expect(matches(nested, order({ country: 'DE' }))).toBe(true);
      expect(matches(nested, order({ currency: 'USD' }))).toBe(false);
    });
  });
});

/* Property tests: the evaluator against the semantics docs/filters.md states. */

const FIELDS = ['a', 'b', 'c'];
const scalar = fc.oneof(fc.string({ maxLength: 4 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null));
const leaf = fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) });
/** Data of objects, scalars and arrays of scalars (no arrays of objects, whose matching is per element). */
const data = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.dictionary(fc.constantFrom(...FIELDS), tie('node'), { maxKeys: 3 }),
  ),
})).node;
const path = fc.array(fc.constantFrom(...FIELDS), { minLength: 1, maxLength: 3 });

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const valueAt = (value: unknown, keys: readonly string[]): unknown =>
  keys.reduce<unknown>((node, key) => (isObject(node) && Object.hasOwn(node, key) ? node[key] : undefined), value);
/** The documented meaning of "present": a scalar, or an array holding at least one. */
const leavesAt = (value: unknown, keys: readonly string[]): unknown[] => {
  const found = valueAt(value, keys);
  if (found === undefined || isObject(found)) return [];
  return Array.isArray(found) ? found : [found];
};
const atPath = (keys: readonly string[], matchers: unknown[]): EventPattern => ({
  data: keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), matchers) as EventPattern,
});

/** A pattern naming every leaf of the value with the value itself. */
const exactPatternOf = (value: unknown): unknown => {
  if (isObject(value)) {
    const entries = Object.entries(value).filter(([, child]) => !(isObject(child) && Object.keys(child).length === 0));
    const fields = entries.map(([key, child]) => [key, exactPatternOf(child)] as const).filter(([, child]) => child !== undefined);
    return fields.length === 0 ? undefined : Object.fromEntries(fields);
  }
  if (Array.isArray(value)) return value.length === 0 ? undefined : [value[value.length - 1]];
  return [value];
};

describe('Property: matchesPattern', () => {
  it('matches an event with the pattern of its own values', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 8 }), data, (type, value) => {
        const dataPattern = exactPatternOf(value);
        const pattern = { type: [type], ...(dataPattern === undefined ? {} : { data: dataPattern }) };
        return matchesPattern(pattern, { type, data: value });
      }),
      { numRuns: 500 },
    );
  });

  it('anything-but [v] matches exactly when the field is present and is not v', () => {
    const excluded = fc.oneof(fc.string({ maxLength: 2 }), fc.integer({ min: -3, max: 3 }));
    const value = fc.option(fc.oneof(fc.string({ maxLength: 2 }), fc.integer({ min: -3, max: 3 }), fc.boolean(), fc.constant(null)), { nil: undefined });
    fc.assert(
      fc.property(excluded, value, (v, x) => {
        const event = order(x === undefined ? {} : { f: x });
        return matchesPattern(onData('f', [{ 'anything-but': [v] }]), event) === (x !== undefined && x !== v);
      }),
      { numRuns: 1000 },
    );
  });

  it('numeric ranges agree with plain comparisons', () => {
    const number = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
    const bounds = fc.tuple(number, number).filter(([low, high]) => low < high);
    fc.assert(
      fc.property(fc.constantFrom('>', '>='), fc.constantFrom('<', '<='), bounds, number, (lower, upper, [low, high], x) => {
        const above = lower === '>' ? x > low : x >= low;
        const below = upper === '<' ? x < high : x <= high;
        return matchesPattern(onData('f', [{ numeric: [lower, low, upper, high] }]), order({ f: x })) === (above && below);
      }),
      { numRuns: 1000 },
    );
  });

  it('$or matches exactly when one of its branches does', () => {
    const small = fc.constantFrom<unknown>('x', 'y', 1, 2, null);
    const branch = fc.dictionary(fc.constantFrom(...FIELDS), fc.array(small, { minLength: 1, maxLength: 2 }), { minKeys: 1, maxKeys: 2 });
    const event = fc.dictionary(fc.constantFrom(...FIELDS), small, { maxKeys: 3 });
    fc.assert(
      fc.property(branch, branch, event, (first, second, value) => {
        const either = matchesPattern({ data: { $or: [first, second] } }, order(value));
        return either === (matchesPattern({ data: first }, order(value)) || matchesPattern({ data: second }, order(value)));
      }),
      { numRuns: 1000 },
    );
  });

  it('exists: false matches exactly when the path holds no value', () => {
    fc.assert(
      fc.property(data, path, (value, keys) => {
        const absent = leavesAt(value, keys).length === 0;
        return (
          matchesPattern(atPath(keys, [{ exists: false }]), order(value)) === absent &&
          matchesPattern(atPath(keys, [{ exists: true }]), order(value)) === !absent
        );
      }),
      { numRuns: 1000 },
    );
  });
});
