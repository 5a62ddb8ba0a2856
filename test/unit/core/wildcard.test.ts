import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wildcardError, wildcardMatches, wildcardSegments } from '../../../lambdas/core/wildcard';

/** The textbook dynamic programme over (pattern, text) positions, for patterns without escapes. */
const referenceMatches = (pattern: string, text: string): boolean => {
  let row = Array.from({ length: text.length + 1 }, (_, j) => j === 0);
  for (const char of pattern) {
    const next = new Array<boolean>(text.length + 1).fill(false);
    next[0] = char === '*' && row[0]!;
    for (let j = 1; j <= text.length; j++) {
      next[j] = char === '*' ? row[j]! || next[j - 1]! : row[j - 1]! && text[j - 1] === char;
    }
    row = next;
  }
  return row[text.length]!;
};

describe('Function: wildcardMatches', () => {
  it.each([
    ['Simple*Service', 'SimpleQueueService', true],
    ['Simple*Service', 'SimpleService', true],
    ['Simple*Service', 'SimpleQueueServices', false],
    ['*.png', 'a/b.png', true],
    ['*/lib/*', 'src/lib/x.ts', true],
    ['*/lib/*', 'src/libs/x.ts', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['ab*ba', 'aba', false],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
    ['*', '', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['a\\\\*', 'a\\anything', true],
  ])('%j against %j is %s', (pattern, text, expected) => {
    expect(wildcardMatches(pattern, text)).toBe(expected);
  });

  it('agrees with a reference matcher on short texts', () => {
    const pattern = fc
      .array(fc.constantFrom('a', 'b', '*'), { maxLength: 8 })
      .map((chars) => chars.join(''))
      .filter((text) => !text.includes('**'));
    const text = fc.array(fc.constantFrom('a', 'b'), { maxLength: 10 }).map((chars) => chars.join(''));
    fc.assert(fc.property(pattern, text, (p, t) => wildcardMatches(p, t) === referenceMatches(p, t)), { numRuns: 2000 });
  });

  it('answers for a long text and a pattern that would make a backtracking matcher retry at every position', () => {
    const text = 'a'.repeat(100_000);
    expect(wildcardMatches(`*${'a'.repeat(500)}b*a`, text)).toBe(false);
  });
});

describe('Function: wildcardError', () => {
  it.each([
    ['a**b', 'two "*" in a row are not allowed'],
    ['a\\b', 'a backslash may only escape "*" or "\\"'],
    ['trailing\\', 'a backslash may only escape "*" or "\\"'],
  ])('refuses %j', (pattern, message) => {
    expect(wildcardError(pattern)).toBe(message);
  });

  it('accepts stars apart and escaped ones', () => {
    expect(wildcardError('*a*\\*\\\\*')).toBeUndefined();
    expect(wildcardSegments('*a*\\*\\\\*')).toEqual(['', 'a', '*\\', '']);
  });
});
