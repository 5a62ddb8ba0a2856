import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventPatternError, FILTER_LIMITS } from '../../../lambdas/core/event-pattern-schema';

describe('Function: eventPatternError', () => {
  it.each([
    { data: { amount: [{ numeric: ['>', 0, '<=', 5] }], currency: ['EUR', 'USD'] } },
    { type: [{ prefix: 'order.' }], data: { customer: { tier: [{ 'anything-but': ['free', 'trial'] }] } } },
    { data: { sku: [{ wildcard: 'SKU-*-\\*' }, { suffix: { 'equals-ignore-case': '-x' } }, null, true, 3] } },
    { $or: [{ type: ['a'] }, { data: { b: [{ exists: false }] } }], consumerId: [{ 'equals-ignore-case': 'C1' }] },
    { data: { f: [{ 'anything-but': { wildcard: ['a*', 'b*'] } }, { 'anything-but': 5 }, { numeric: ['=', -1.5] }] } },
  ])('accepts %j', (filter) => {
    expect(eventPatternError(filter)).toBeUndefined();
  });

  it.each<[unknown, string]>([
    ['order', 'filter: expected an object, got "order"'],
    [[], 'filter: expected an object, got an array'],
    [{}, 'filter: expected at least one field'],
    [{ payload: { a: ['x'] } }, 'filter.payload: unknown field; a filter matches "type", "consumerId", "data" (and "$or")'],
    [{ data: 'x' }, 'filter.data: expected a list of values or an object of fields, got "x"'],
    [{ data: {} }, 'filter.data: expected at least one field'],
    [{ data: { a: [] } }, 'filter.data.a: expected at least one value or operator'],
    [{ data: { a: [['x']] } }, 'filter.data.a[0]: expected a value or an operator object, got an array'],
    [{ data: { amount: [{ numeric: ['x', 5] }] } }, 'filter.data.amount[0].numeric: expected an operator (">", ">=", "<", "<=" or "="), got "x"'],
    [{ data: { amount: [{ numeric: ['>', '5'] }] } }, 'filter.data.amount[0].numeric: expected a number after ">", got "5"'],
    [{ data: { amount: [{ numeric: ['>', 1, '>', 2] }] } }, 'filter.data.amount[0].numeric: a range is a lower bound (">" or ">=") then an upper bound ("<" or "<=")'],
    [{ data: { amount: [{ numeric: ['>', 5, '<', 1] }] } }, 'filter.data.amount[0].numeric: the lower bound 5 must be below the upper bound 1'],
    [{ data: { amount: [{ numeric: ['>'] }] } }, 'filter.data.amount[0].numeric: expected [operator, number] or [operator, number, operator, number], got an array'],
    [{ data: { a: [{ prefix: 1 }] } }, 'filter.data.a[0].prefix: expected a string or {"equals-ignore-case": string}, got 1'],
    [{ data: { a: [{ suffix: { 'equals-ignore-case': 1 } }] } }, 'filter.data.a[0].suffix.equals-ignore-case: expected a string, got 1'],
    [{ data: { a: [{ 'equals-ignore-case': ['x'] }] } }, 'filter.data.a[0].equals-ignore-case: expected a string, got an array'],
    [{ data: { a: [{ wildcard: 'a**' }] } }, 'filter.data.a[0].wildcard: two "*" in a row are not allowed'],
    [{ data: { a: [{ exists: 'yes' }] } }, 'filter.data.a[0].exists: expected true or false, got "yes"'],
    [{ data: { a: [{ regex: '.*' }] } }, 'filter.data.a[0]: unknown operator "regex"; expected one of prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists'],
    [{ data: { a: [{ prefix: 'a', suffix: 'b' }] } }, 'filter.data.a[0]: expected one operator in the object, got 2'],
    [{ data: { a: [{ 'anything-but': ['a', 1] }] } }, 'filter.data.a[0].anything-but: a list must hold only strings or only numbers'],
    [{ data: { a: [{ 'anything-but': true }] } }, 'filter.data.a[0].anything-but: expected a string, a number, a list of either, or an operator object, got true'],
    [{ data: { a: [{ 'anything-but': { numeric: ['>', 1] } }] } }, 'filter.data.a[0].anything-but: expected one of "prefix", "suffix", "equals-ignore-case", "wildcard", got an object'],
    [{ data: { a: [{ 'anything-but': { wildcard: ['a', 'b\\c'] } }] } }, 'filter.data.a[0].anything-but.wildcard[1]: a backslash may only escape "*" or "\\"'],
    [{ $or: [{ type: ['a'] }] }, 'filter.$or: expected a list of 2 to 10 patterns, got 1'],
    [{ $or: [{ type: ['a'] }, { kind: ['b'] }] }, 'filter.$or[1].kind: unknown field; a filter matches "type", "consumerId", "data" (and "$or")'],
    [{ data: { 'x-limit': { 'a.b': 1 } } }, 'filter.data.x-limit["a.b"]: expected a list of values or an object of fields, got 1'],
  ])('refuses %j with its path', (filter, message) => {
    const error = eventPatternError(filter);
    expect(error?.message).toBe(message);
    expect(message.startsWith(`${error?.path}: `)).toBe(true);
  });

  describe('caps', () => {
    it('refuses a filter over 4,096 bytes of JSON and accepts one at the cap', () => {
      const sized = (bytes: number) => ({ data: { a: ['x'.repeat(bytes - '{"data":{"a":[""]}}'.length)] } });
      expect(eventPatternError(sized(FILTER_LIMITS.maxBytes))).toBeUndefined();
      expect(eventPatternError(sized(FILTER_LIMITS.maxBytes + 1))?.message).toBe('filter: is 4097 bytes of JSON; at most 4096');
    });

    it('refuses nesting deeper than 10 levels', () => {
      const nested = (levels: number): unknown => (levels === 2 ? ['x'] : { a: nested(levels - 1) });
      expect(eventPatternError({ data: nested(FILTER_LIMITS.maxDepth) })).toBeUndefined();
      expect(eventPatternError({ data: nested(FILTER_LIMITS.maxDepth + 1) })?.message).toBe(
        'filter.data.a.a.a.a.a.a.a.a.a: nests deeper than 10 levels',
      );
    });

    it('refuses more than 100 values', () => {
      const values = (count: number) => ({ data: { a: Array.from({ length: count }, (_, i) => i) } });
      expect(eventPatternError(values(FILTER_LIMITS.maxValues))).toBeUndefined();
      expect(eventPatternError(values(FILTER_LIMITS.maxValues + 1))?.message).toBe('filter: has more than 100 values; at most 100');
    });

    it('refuses an $or of more than 10 alternatives', () => {
      const alternatives = (count: number) => ({ data: { $or: Array.from({ length: count }, (_, i) => ({ a: [i] })) } });
      expect(eventPatternError(alternatives(FILTER_LIMITS.maxOrAlternatives))).toBeUndefined();
      expect(eventPatternError(alternatives(FILTER_LIMITS.maxOrAlternatives + 1))?.message).toBe('filter.data.$or: expected a list of 2 to 10 patterns, got 11');
    });
  });

  it('never throws, and answers with a path and a message, whatever JSON it is given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.object(), fc.dictionary(fc.constantFrom('type', 'data', '$or'), fc.jsonValue())), (value) => {
        const error = eventPatternError(value);
        return error === undefined || (typeof error.path === 'string' && error.message.startsWith(`${error.path}: `));
      }),
      { numRuns: 2000 },
    );
  });
});
