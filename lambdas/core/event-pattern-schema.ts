import { OR_KEY, type EventPattern } from './event-pattern';
import { wildcardError } from './wildcard';

/**
 * Validation of payload filters (EventBridge event patterns, docs/filters.md) at subscribe time:
 * the first error found, with the JSON path where it is. Hand-written rather than a zod schema so
 * that each error names its place the way a user wrote it (`filter.data.amount[0].numeric`), and
 * so that it never throws, whatever JSON it is given.
 */

/** The caps on one filter, each fact once; docs/filters.md states them. */
export const FILTER_LIMITS = {
  /** Bytes of the filter's JSON text, written without whitespace. */
  maxBytes: 4096,
  /** Levels of objects and arrays, the filter itself being the first. */
  maxDepth: 10,
  /** Strings, numbers, booleans and nulls anywhere in the filter (operator names such as ">" included). */
  maxValues: 100,
  /** Alternatives in one `$or`. */
  maxOrAlternatives: 10,
} as const;

/** The fields of the envelope a filter is matched against. */
export const ENVELOPE_FIELDS = ['type', 'consumerId', 'data'] as const;

export interface FilterError {
  /** Where, as `filter.data.amount[0].numeric`. */
  path: string;
  /** The path and what is wrong there. */
  message: string;
}

type Check = FilterError | undefined;

const NUMERIC_OPERATORS = ['>', '>=', '<', '<=', '='];
const LOWER_BOUNDS = ['>', '>='];
const UPPER_BOUNDS = ['<', '<='];
const OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'numeric', 'exists'];
const ANYTHING_BUT_OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

const fail = (path: string, problem: string): FilterError => ({ path, message: `${path}: ${problem}` });

const keyPath = (path: string, key: string): string => (/^[A-Za-z0-9_$-]+$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`);

/** A value as an error message shows it: short JSON for scalars, a word for the rest. */
const shown = (value: unknown): string => {
  if (Array.isArray(value)) return 'an array';
  if (isObject(value)) return Object.keys(value).length === 0 ? '{}' : 'an object';
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

const firstOf = <T>(items: readonly T[], check: (item: T, index: number) => Check): Check => {
  for (let i = 0; i < items.length; i++) {
    const error = check(items[i]!, i);
    if (error !== undefined) return error;
  }
  return undefined;
};

/** The deepest level first found beyond the cap, and the count of scalars (stopping past the cap). */
const measure = (value: unknown, path: string): Check => {
  let values = 0;
  const walk = (node: unknown, at: string, depth: number): Check => {
    if (node === null || typeof node !== 'object') {
      values++;
      return values > FILTER_LIMITS.maxValues ? fail(path, `has more than ${FILTER_LIMITS.maxValues} values; at most ${FILTER_LIMITS.maxValues}`) : undefined;
    }
    if (depth > FILTER_LIMITS.maxDepth) return fail(at, `nests deeper than ${FILTER_LIMITS.maxDepth} levels`);
    return Array.isArray(node)
      ? firstOf(node, (item, i) => walk(item, `${at}[${i}]`, depth + 1))
      : firstOf(Object.keys(node), (key) => walk((node as Record<string, unknown>)[key], keyPath(at, key), depth + 1));
  };
  return walk(value, path, 1);
};

const checkString = (value: unknown, path: string, what = 'a string'): Check =>
  typeof value === 'string' ? undefined : fail(path, `expected ${what}, got ${shown(value)}`);

const checkStrings = (value: unknown, path: string, check: (text: string, at: string) => Check): Check => {
  if (typeof value === 'string') return check(value, path);
  if (!Array.isArray(value) || value.length === 0) return fail(path, `expected a string or a list of strings, got ${shown(value)}`);
  return firstOf(value, (item, i) => checkString(item, `${path}[${i}]`) ?? check(item as string, `${path}[${i}]`));
};

const checkWildcard = (text: string, path: string): Check => {
  const problem = wildcardError(text);
  return problem === undefined ? undefined : fail(path, problem);
};

/** `prefix` or `suffix`: a string, or `{"equals-ignore-case": string}`. */
const checkAffix = (arg: unknown, path: string): Check => {
  if (typeof arg === 'string') return undefined;
  if (isObject(arg) && Object.keys(arg).length === 1 && 'equals-ignore-case' in arg) {
    return checkString(arg['equals-ignore-case'], keyPath(path, 'equals-ignore-case'));
  }
  return fail(path, `expected a string or {"equals-ignore-case": string}, got ${shown(arg)}`);
};

const checkNumeric = (arg: unknown, path: string): Check => {
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) {
    return fail(path, `expected [operator, number] or [operator, number, operator, number], got ${shown(arg)}`);
  }
  for (let i = 0; i < arg.length; i += 2) {
    const [operator, bound] = [arg[i], arg[i + 1]];
    if (typeof operator !== 'string' || !NUMERIC_OPERATORS.includes(operator)) {
      return fail(path, `expected an operator (">", ">=", "<", "<=" or "="), got ${shown(operator)}`);
    }
    if (!isFiniteNumber(bound)) return fail(path, `expected a number after "${operator}", got ${shown(bound)}`);
  }
  if (arg.length === 2) return undefined;
  const [first, low, second, high] = arg as [string, number, string, number];
  if (!LOWER_BOUNDS.includes(first) || !UPPER_BOUNDS.includes(second)) {
    return fail(path, 'a range is a lower bound (">" or ">=") then an upper bound ("<" or "<=")');
  }
  return low < high ? undefined : fail(path, `the lower bound ${low} must be below the upper bound ${high}`);
};

const checkAnythingBut = (arg: unknown, path: string): Check => {
  if (typeof arg === 'string' || isFiniteNumber(arg)) return undefined;
  if (Array.isArray(arg)) {
    if (arg.length === 0) return fail(path, 'expected at least one value');
    if (arg.every((item) => typeof item === 'string') || arg.every(isFiniteNumber)) return undefined;
    return fail(path, 'a list must hold only strings or only numbers');
  }
  if (isObject(arg)) {
    const keys = Object.keys(arg);
    const operator = keys[0];
    if (keys.length !== 1 || operator === undefined || !ANYTHING_BUT_OPERATORS.includes(operator)) {
      return fail(path, `expected one of ${ANYTHING_BUT_OPERATORS.map((name) => `"${name}"`).join(', ')}, got ${shown(arg)}`);
    }
    const at = keyPath(path, operator);
    const inner = arg[operator];
    if (operator === 'prefix' || operator === 'suffix') return checkString(inner, at);
    return checkStrings(inner, at, operator === 'wildcard' ? checkWildcard : () => undefined);
  }
  return fail(path, `expected a string, a number, a list of either, or an operator object, got ${shown(arg)}`);
};

const checkOperator = (matcher: Record<string, unknown>, path: string): Check => {
  const keys = Object.keys(matcher);
  if (keys.length !== 1) return fail(path, `expected one operator in the object, got ${keys.length === 0 ? 'none' : keys.length}`);
  const operator = keys[0]!;
  const at = keyPath(path, operator);
  const arg = matcher[operator];
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return checkAffix(arg, at);
    case 'equals-ignore-case':
      return checkString(arg, at);
    case 'wildcard':
      return checkString(arg, at) ?? checkWildcard(arg as string, at);
    case 'exists':
      return typeof arg === 'boolean' ? undefined : fail(at, `expected true or false, got ${shown(arg)}`);
    case 'numeric':
      return checkNumeric(arg, at);
    case 'anything-but':
      return checkAnythingBut(arg, at);
    default:
      return fail(path, `unknown operator "${operator}"; expected one of ${OPERATORS.join(', ')}`);
  }
};

/** A field's list of matchers: exact values (string, number, boolean, null) and operator objects. */
const checkMatchers = (matchers: readonly unknown[], path: string): Check => {
  if (matchers.length === 0) return fail(path, 'expected at least one value or operator');
  return firstOf(matchers, (matcher, i) => {
    const at = `${path}[${i}]`;
    if (isObject(matcher)) return checkOperator(matcher, at);
    if (Array.isArray(matcher)) return fail(at, 'expected a value or an operator object, got an array');
    if (typeof matcher === 'number' && !Number.isFinite(matcher)) return fail(at, `expected a finite number, got ${shown(matcher)}`);
    return undefined;
  });
};

const checkOr = (alternatives: unknown, path: string, topLevel: boolean): Check => {
  const { maxOrAlternatives } = FILTER_LIMITS;
  if (!Array.isArray(alternatives) || alternatives.length < 2 || alternatives.length > maxOrAlternatives) {
    return fail(path, `expected a list of 2 to ${maxOrAlternatives} patterns, got ${Array.isArray(alternatives) ? `${alternatives.length}` : shown(alternatives)}`);
  }
  return firstOf(alternatives, (alternative, i) => checkPatternObject(alternative, `${path}[${i}]`, topLevel));
};

/** An object of fields, each a nested pattern or a list of matchers; at the top, only the envelope's fields. */
const checkPatternObject = (pattern: unknown, path: string, topLevel: boolean): Check => {
  if (!isObject(pattern)) return fail(path, `expected an object of fields, got ${shown(pattern)}`);
  const keys = Object.keys(pattern);
  if (keys.length === 0) return fail(path, 'expected at least one field');
  return firstOf(keys, (key) => {
    const at = keyPath(path, key);
    const value = pattern[key];
    if (key === OR_KEY) return checkOr(value, at, topLevel);
    if (topLevel && !(ENVELOPE_FIELDS as readonly string[]).includes(key)) {
      return fail(at, `unknown field; a filter matches ${ENVELOPE_FIELDS.map((name) => `"${name}"`).join(', ')} (and "$or")`);
    }
    if (Array.isArray(value)) return checkMatchers(value, at);
    if (isObject(value)) return checkPatternObject(value, at, false);
    return fail(at, `expected a list of values or an object of fields, got ${shown(value)}`);
  });
};

/** The first thing wrong with the filter, or undefined when it is a valid event pattern within the caps. */
export const eventPatternError = (filter: unknown, path = 'filter'): FilterError | undefined => {
  if (!isObject(filter)) return fail(path, `expected an object, got ${shown(filter)}`);
  let text: string;
  try {
    text = JSON.stringify(filter);
  } catch {
    return fail(path, 'is not JSON');
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > FILTER_LIMITS.maxBytes) return fail(path, `is ${bytes} bytes of JSON; at most ${FILTER_LIMITS.maxBytes}`);
  return measure(filter, path) ?? checkPatternObject(filter, path, true);
};

export const isEventPattern = (filter: unknown): filter is EventPattern => eventPatternError(filter) === undefined;
