/**
 * Bounded versions of JSONata's built-in functions whose result, or whose work, can be far larger
 * than their arguments: each refuses before allocating when the result would pass the output limit
 * (or, for collections, the sequence limit). Registered on every compiled transformation in place
 * of the originals, which they call once the arguments are known to be safe.
 *
 * Reviewed and left as they are, since what they make is bounded by their arguments: $substring,
 * $substringBefore/After, $uppercase, $lowercase, $trim, $length, $split and $replace (string
 * patterns; regular expressions are refused), $formatNumber (at most 100 fraction digits, one-character
 * options), $formatBase (at most about 1,100 characters), $formatInteger (roman numerals of huge
 * numbers stop at the stack), $base64encode/decode, $encodeUrl(Component) (at most 9 characters per
 * character), $sift, $each, $map, $filter, $reduce, $single (one result per item or key, each made by
 * steps the guards see), $zip (as long as its shortest argument), $lookup, $reverse, $shuffle, $sort,
 * $number and the numeric functions, $eval (its expression runs under the same guards and refusals).
 */
import type { TransformationGuards } from './transformation';
import { isJsonataFunction, jsonLengthExceeds } from './json-size';
import { formattedLengthAtLeast, parsingPictureRefusal } from './transformation-pictures';
import { GuardExceeded } from './transformation-refusal';

/** `this` of a JSONata function: the evaluation's environment and sequence factory. */
interface Focus {
  environment: { timestamp: Date };
  createSequence: () => unknown[];
}

type Implementation = (this: Focus, ...args: any[]) => unknown;

interface JsonataFunction {
  implementation: Implementation;
}

/** The originals the bounded versions call, read from JSONata once it is loaded. */
export type OriginalBuiltins = Record<(typeof ORIGINAL_NAMES)[number], JsonataFunction>;

export const ORIGINAL_NAMES = ['string', 'fromMillis', 'toMillis', 'append', 'keys', 'merge', 'spread'] as const;

export interface BoundedBuiltin {
  name: string;
  signature: string;
  implementation: Implementation;
}

const outputLimit = (guards: TransformationGuards, what: string) =>
  new GuardExceeded(`output limit: ${what} would be larger than ${guards.maxOutputBytes} bytes`);

const sequenceLimit = (guards: TransformationGuards, what: string) =>
  new GuardExceeded(`sequence limit: ${what} would hold more than ${guards.maxSequence} items`);

/** Characters as JSONata counts them (code points). */
const codePoints = (text: string): string[] => Array.from(text);

/** $pad built without a temporary larger than its result (JSONata's repeats a long `char` in full). */
const pad = (guards: TransformationGuards): Implementation =>
  function (str: string | undefined, width: number, char?: string) {
    if (str === undefined) return undefined;
    const target = Math.abs(Math.trunc(width));
    if (target > guards.maxOutputBytes) throw outputLimit(guards, `$pad to ${target} characters`);
    const padLength = target - codePoints(str).length;
    if (padLength <= 0) return str;
    const fill = char === undefined || char.length === 0 ? ' ' : char;
    const fillLength = codePoints(fill).length;
    const repeated = fill.repeat(Math.ceil(padLength / fillLength));
    const padding = fillLength === fill.length ? repeated.slice(0, padLength) : codePoints(repeated).slice(0, padLength).join('');
    return width > 0 ? str + padding : padding + str;
  };

const join = (guards: TransformationGuards): Implementation =>
  function (strings: string[] | undefined, separator = '') {
    if (strings === undefined) return undefined;
    let length = Math.max(0, strings.length - 1) * separator.length;
    for (const text of strings) {
      length += text.length;
      if (length > guards.maxOutputBytes) throw outputLimit(guards, '$join');
    }
    return strings.join(separator);
  };

const string = (guards: TransformationGuards, original: JsonataFunction): Implementation =>
  function (this: Focus, value: unknown, prettify?: boolean) {
    if (typeof value !== 'string' && jsonLengthExceeds(value, guards.maxOutputBytes, prettify === true ? 2 : 0)) {
      throw outputLimit(guards, '$string');
    }
    return original.implementation.call(this, value, prettify);
  };

const formatPicture = (guards: TransformationGuards, picture: string | undefined, name: string) => {
  if (picture !== undefined && formattedLengthAtLeast(picture) > guards.maxOutputBytes) throw outputLimit(guards, `${name} with this picture`);
};

const fromMillis = (guards: TransformationGuards, original: JsonataFunction): Implementation =>
  function (this: Focus, millis: number | undefined, picture?: string, timezone?: string) {
    formatPicture(guards, picture, '$fromMillis');
    return original.implementation.call(this, millis, picture, timezone);
  };

/** $now as JSONata defines it (the evaluation's timestamp, formatted), with the same picture bound. */
const now = (guards: TransformationGuards, fromMillisOriginal: JsonataFunction): Implementation =>
  function (this: Focus, picture?: string, timezone?: string) {
    formatPicture(guards, picture, '$now');
    return fromMillisOriginal.implementation.call(this, this.environment.timestamp.getTime(), picture, timezone);
  };

const toMillis = (original: JsonataFunction): Implementation =>
  function (this: Focus, timestamp: string | undefined, picture?: string) {
    const refusal = picture === undefined ? undefined : parsingPictureRefusal(picture);
    if (refusal !== undefined) throw new GuardExceeded(refusal);
    return original.implementation.call(this, timestamp, picture);
  };

const itemCount = (value: unknown): number => (value === undefined ? 0 : Array.isArray(value) ? value.length : 1);

const append = (guards: TransformationGuards, original: JsonataFunction): Implementation =>
  function (this: Focus, first: unknown, second: unknown) {
    if (itemCount(first) + itemCount(second) > guards.maxSequence) throw sequenceLimit(guards, '$append');
    return original.implementation.call(this, first, second);
  };

/** The keys of an object, or of every object of an array, counted up to the sequence limit. */
const keysWithin = (value: unknown, guards: TransformationGuards, name: string): void => {
  let count = 0;
  for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
    if (typeof item !== 'object' || item === null || Array.isArray(item) || isJsonataFunction(item)) continue;
    count += Object.keys(item).length;
    if (count > guards.maxSequence) throw sequenceLimit(guards, `${name} (the keys of its objects together)`);
  }
};

/** $keys, $merge and $spread walk every key of every object given: all of them within the sequence limit. */
const overKeys = (guards: TransformationGuards, original: JsonataFunction, name: string): Implementation =>
  function (this: Focus, value: unknown) {
    keysWithin(value, guards, name);
    return original.implementation.call(this, value);
  };

/**
 * $distinct in linear time: JSONata's compares every item with every kept one (20,000 objects take
 * over a minute). Items are told apart by a canonical text (object keys sorted), the same equality
 * as JSONata's deep comparison; function values by identity. The texts together stay within the
 * output limit.
 */
const distinct = (guards: TransformationGuards): Implementation =>
  function (this: Focus, values: unknown) {
    if (!Array.isArray(values) || values.length <= 1) return values;
    let budget = guards.maxOutputBytes;
    const identities = new Map<unknown, number>();
    const charge = (text: string): string => {
      budget -= text.length;
      if (budget < 0) throw outputLimit(guards, '$distinct (its items as text, to compare them)');
      return text;
    };
    const keyOf = (value: unknown): string => {
      if (value === undefined) return charge('u');
      if (isJsonataFunction(value)) {
        if (!identities.has(value)) identities.set(value, identities.size);
        return charge(`f${identities.get(value)}`);
      }
      if (Array.isArray(value)) return charge(`[${(value as unknown[]).map(keyOf).join(',')}]`);
      if (typeof value === 'object' && value !== null) {
        const keys = Object.keys(value).sort();
        return charge(`{${keys.map((key) => `${charge(JSON.stringify(key))}:${keyOf((value as Record<string, unknown>)[key])}`).join(',')}}`);
      }
      return charge(JSON.stringify(value));
    };
    const seen = new Set<string>();
    const results = (values as { sequence?: boolean }).sequence === true ? this.createSequence() : [];
    for (const value of values as unknown[]) {
      const key = keyOf(value);
      if (seen.has(key)) continue;
      seen.add(key);
      results.push(value);
    }
    return results;
  };

/** The bounded built-ins for one evaluation's guards, with the signatures of the functions they replace. */
export const boundedBuiltins = (guards: TransformationGuards, originals: OriginalBuiltins): BoundedBuiltin[] => [
  { name: 'pad', signature: '<s-ns?:s>', implementation: pad(guards) },
  { name: 'join', signature: '<a<s>s?:s>', implementation: join(guards) },
  { name: 'string', signature: '<x-b?:s>', implementation: string(guards, originals.string) },
  { name: 'fromMillis', signature: '<n-s?s?:s>', implementation: fromMillis(guards, originals.fromMillis) },
  { name: 'now', signature: '<s?s?:s>', implementation: now(guards, originals.fromMillis) },
  { name: 'toMillis', signature: '<s-s?:n>', implementation: toMillis(originals.toMillis) },
  { name: 'append', signature: '<xx:a>', implementation: append(guards, originals.append) },
  { name: 'keys', signature: '<x-:a<s>>', implementation: overKeys(guards, originals.keys, '$keys') },
  { name: 'merge', signature: '<a<o>:o>', implementation: overKeys(guards, originals.merge, '$merge') },
  { name: 'spread', signature: '<x-:a<o>>', implementation: overKeys(guards, originals.spread, '$spread') },
  { name: 'distinct', signature: '<x:x>', implementation: distinct(guards) },
];
