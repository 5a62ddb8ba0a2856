import { randomBytes } from 'node:crypto';

/**
 * ULIDs (https://github.com/ulid/spec): 48 bits of milliseconds then 80 random bits, in Crockford's
 * base 32, 26 characters that sort by time. Monotonic within a process: an id made in the same
 * millisecond as the previous one (or, with a clock that went back, earlier) takes the previous
 * time and the previous random part plus one, so ids made one after another always sort in order.
 * A dozen lines of our own rather than a package that every function would load.
 */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_DIGITS = 10;
const RANDOM_DIGITS = 16;
const MAX_TIME = 2 ** 48 - 1;

/** The 10 time digits of a ULID for `time` (ms; beyond 48 bits only the low 50 bits show). */
export const encodeUlidTime = (time: number): string => {
  let remaining = time;
  let encoded = '';
  for (let i = 0; i < TIME_DIGITS; i++) {
    encoded = CROCKFORD[remaining % 32] + encoded;
    remaining = Math.floor(remaining / 32);
  }
  return encoded;
};

/** 16 random base-32 digits (a byte modulo 32 is unbiased: 256 is a multiple of 32). */
const randomDigits = (): number[] => Array.from(randomBytes(RANDOM_DIGITS), (byte) => byte % 32);

/** The digits plus one, or undefined when every digit is already the largest. */
const increment = (digits: readonly number[]): number[] | undefined => {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 31) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  return undefined;
};

export const monotonicUlidFactory = (): ((time?: number) => string) => {
  let lastTime = -1;
  let lastRandom: number[] = [];
  return (time = Date.now()) => {
    if (!Number.isInteger(time) || time < 0 || time > MAX_TIME) throw new RangeError(`a ULID time must be a whole number of ms from 0 to 2^48-1, got ${time}`);
    if (time <= lastTime) {
      const next = increment(lastRandom);
      if (next === undefined) throw new RangeError('no ULID left in this millisecond');
      lastRandom = next;
    } else {
      lastTime = time;
      lastRandom = randomDigits();
    }
    return encodeUlidTime(lastTime) + lastRandom.map((digit) => CROCKFORD[digit]).join('');
  };
};

/** The milliseconds of a ULID, or undefined for a string that does not start with 10 Crockford digits. */
export const ulidTime = (ulid: string): number | undefined => {
  if (!/^[0-9A-HJKMNP-TV-Z]{10}/.test(ulid)) return undefined;
  let time = 0;
  for (const char of ulid.slice(0, TIME_DIGITS)) time = time * 32 + CROCKFORD.indexOf(char);
  return time;
};
