import { wildcardMatches } from './wildcard';

/**
 * Payload filters: EventBridge event patterns (docs/filters.md), matched against the envelope of an
 * event. A pattern names fields; each field holds either a nested pattern or a list of matchers,
 * any one of which may match. Every field named must match, and `$or` holds alternative patterns.
 *
 * This module only evaluates; event-pattern-schema.ts validates, and only validated patterns reach
 * here (the api function refuses the others), so the shapes are trusted.
 */

/** What a filter sees of an event. `consumerId` is absent when the event carries none. */
export interface FilterEnvelope {
  type: string;
  consumerId?: string;
  data?: unknown;
}

/** A validated event pattern: a JSON object (see event-pattern-schema.ts for its grammar). */
export type EventPattern = Readonly<Record<string, unknown>>;

type Scalar = string | number | boolean | null;
type JsonObject = Readonly<Record<string, unknown>>;

export const OR_KEY = '$or';

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Arrays nested in arrays count as one list, as EventBridge flattens them. */
const flatten = (values: readonly unknown[]): unknown[] => values.flat(Infinity);

/**
 * The values a matcher list sees at a field: its scalar value, or the scalars of its array. An
 * object is not a leaf, so a field holding one has no values (EventBridge's `exists` works on
 * leaves only).
 */
const leavesOf = (value: unknown): Scalar[] => {
  if (value === undefined || isObject(value)) return [];
  if (!Array.isArray(value)) return [value as Scalar];
  return flatten(value).filter((item): item is Scalar => item !== undefined && (item === null || typeof item !== 'object'));
};

/** The member, only when it is the object's own: `__proto__` or `constructor` in a pattern name a field, nothing else. */
const memberOf = (value: unknown, key: string): unknown => (isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined);

const lower = (text: string): string => text.toLowerCase();

const oneOrMany = <T>(value: T | readonly T[]): readonly T[] => (Array.isArray(value) ? value : [value as T]);

/** Prefix or suffix: a string, or `{"equals-ignore-case": string}` to compare without case. */
const affixMatches = (arg: unknown, text: string, test: (text: string, affix: string) => boolean): boolean =>
  typeof arg === 'string' ? test(text, arg) : test(lower(text), lower((arg as JsonObject)['equals-ignore-case'] as string));

const NUMERIC_TESTS: Record<string, (value: number, bound: number) => boolean> = {
  '>': (value, bound) => value > bound,
  '>=': (value, bound) => value >= bound,
  '<': (value, bound) => value < bound,
  '<=': (value, bound) => value <= bound,
  '=': (value, bound) => value === bound,
};

const numericMatches = (conditions: readonly unknown[], value: number): boolean => {
  for (let i = 0; i < conditions.length; i += 2) {
    if (!NUMERIC_TESTS[conditions[i] as string]!(value, conditions[i + 1] as number)) return false;
  }
  return true;
};

/** One operator (not `exists`, not `anything-but`) against one value. */
const operatorMatches = (operator: string, arg: unknown, value: Scalar): boolean => {
  if (operator === 'numeric') return typeof value === 'number' && numericMatches(arg as unknown[], value);
  if (typeof value !== 'string') return false;
  switch (operator) {
    case 'prefix':
      return affixMatches(arg, value, (text, affix) => text.startsWith(affix));
    case 'suffix':
      return affixMatches(arg, value, (text, affix) => text.endsWith(affix));
    case 'equals-ignore-case':
      return oneOrMany(arg as string).some((text) => lower(text) === lower(value));
    case 'wildcard':
      return oneOrMany(arg as string).some((pattern) => wildcardMatches(pattern, value));
    default:
      return false;
  }
};

/**
 * `anything-but`: a value that none of the excluded values equals (a value, or a list of strings or
 * of numbers), or that the excluded operator does not match (`{"prefix": ...}` and the like).
 */
const anythingButMatches = (arg: unknown, value: Scalar): boolean => {
  if (!isObject(arg)) return !oneOrMany(arg as Scalar).some((excluded) => excluded === value);
  const [operator, inner] = Object.entries(arg)[0]!;
  return !operatorMatches(operator, inner, value);
};

/** One entry of a matcher list against the field's values: a present value must match, except for `exists: false`. */
const matcherMatches = (matcher: unknown, values: readonly Scalar[]): boolean => {
  // Strings, numbers, booleans and null compare exactly; parsed numbers are doubles, so 3, 3.0 and 3e0 are one number.
  if (!isObject(matcher)) return values.some((value) => value === matcher);
  const [operator, arg] = Object.entries(matcher)[0]!;
  if (operator === 'exists') return values.length > 0 === arg;
  if (operator === 'anything-but') return values.some((value) => anythingButMatches(arg, value));
  return values.some((value) => operatorMatches(operator, arg, value));
};

/** Every field of the pattern matches within this one value (so, for an array of objects, within one element). */
const fieldsMatch = (pattern: EventPattern, value: unknown): boolean => {
  for (const key of Object.keys(pattern)) {
    const sub = pattern[key];
    if (key === OR_KEY && Array.isArray(sub)) {
      if (!sub.some((alternative) => fieldsMatch(alternative as EventPattern, value))) return false;
      continue;
    }
    const member = memberOf(value, key);
    const matched = Array.isArray(sub) ? sub.some((matcher) => matcherMatches(matcher, leavesOf(member))) : objectMatches(sub as EventPattern, member);
    if (!matched) return false;
  }
  return true;
};

/**
 * A nested pattern against a value: an array of objects matches when one of its elements matches
 * the whole nested pattern, so two fields never match in two different elements (EventBridge's
 * array-consistent matching); an empty array is as good as an absent field.
 */
const objectMatches = (pattern: EventPattern, value: unknown): boolean => {
  if (Array.isArray(value)) {
    const items = flatten(value);
    if (items.length > 0) return items.some((item) => fieldsMatch(pattern, item));
    return fieldsMatch(pattern, undefined);
  }
  return fieldsMatch(pattern, value);
};

/** Whether the event (its envelope) matches the pattern. */
export const matchesPattern = (pattern: EventPattern, envelope: FilterEnvelope): boolean => fieldsMatch(pattern, envelope);
