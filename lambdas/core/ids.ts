import { encodeUlidTime, monotonicUlidFactory, ulidTime } from './ulid';

const nextUlid = monotonicUlidFactory();

export type IdPrefix = 'evt' | 'sub' | 'key' | 'run';

/** Prefixed, time-sortable identifiers (`evt_01J...`). */
export const newId = (prefix: IdPrefix, now: number = Date.now()): string => `${prefix}_${nextUlid(now)}`;

const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export const isId = (prefix: IdPrefix, value: string): boolean =>
  value.startsWith(`${prefix}_`) && ULID_PATTERN.test(value.slice(prefix.length + 1));

/**
 * The smallest id of a prefix created at `time`: ids sort by creation time, so a time window
 * becomes a key range.
 */
export const idBoundary = (prefix: IdPrefix, time: number, edge: 'lowest' | 'highest'): string =>
  `${prefix}_${encodeUlidTime(Math.max(0, Math.floor(time)))}${(edge === 'lowest' ? '0' : 'Z').repeat(16)}`;

/** When an id was made (its ULID's time), in ms; undefined for a string that is no id. */
export const idTime = (id: string): number | undefined => {
  const separator = id.indexOf('_');
  return separator < 0 ? undefined : ulidTime(id.slice(separator + 1));
};
