import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

export type IdPrefix = 'evt' | 'sub' | 'key' | 'run';

/** Prefixed, time-sortable identifiers (`evt_01J...`). */
export const newId = (prefix: IdPrefix, now: number = Date.now()): string => `${prefix}_${nextUlid(now)}`;

const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export const isId = (prefix: IdPrefix, value: string): boolean =>
  value.startsWith(`${prefix}_`) && ULID_PATTERN.test(value.slice(prefix.length + 1));

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The smallest id of a prefix created at `time`: ids sort by creation time, so a time window
 * becomes a key range.
 */
export const idBoundary = (prefix: IdPrefix, time: number, edge: 'lowest' | 'highest'): string => {
  let encoded = '';
  let remaining = Math.max(0, Math.floor(time));
  for (let i = 0; i < 10; i++) {
    encoded = CROCKFORD[remaining % 32] + encoded;
    remaining = Math.floor(remaining / 32);
  }
  return `${prefix}_${encoded}${(edge === 'lowest' ? '0' : 'Z').repeat(16)}`;
};

/** When an id was made (its ULID's time), in ms; undefined for a string that is no id. */
export const idTime = (id: string): number | undefined => {
  const ulid = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11);
  if (id.indexOf('_') < 0 || !/^[0-9A-HJKMNP-TV-Z]{10}$/.test(ulid)) return undefined;
  let time = 0;
  for (const char of ulid) time = time * 32 + CROCKFORD.indexOf(char);
  return time;
};
