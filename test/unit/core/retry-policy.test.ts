import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { settingDefault } from '../../../lambdas/core/settings';
import {
  InvalidRetryScheduleError,
  JITTER,
  MAX_RETRY_AFTER_SECONDS,
  MAX_VISIBILITY_SECONDS,
  maxAttempts,
  parseRetryAfter,
  parseRetrySchedule,
  retryDelaySeconds,
  visibilityTimeoutSeconds,
  withRetryAfter,
} from '../../../lambdas/core/retry-policy';

const DEFAULT_SCHEDULE = settingDefault('retrySchedule');
/** A `random` source in [0, 1), as Math.random gives. */
const unitArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('Function: parseRetrySchedule', () => {
  it.each([
    ['5,300,1800', [5, 300, 1800]],
    [' 5 , 300 ,1800 ', [5, 300, 1800]],
    ['0', [0]],
    ['60', [60]],
    [String(MAX_VISIBILITY_SECONDS), [MAX_VISIBILITY_SECONDS]],
    ['5,300,1800,7200,18000,36000,36000', DEFAULT_SCHEDULE],
  ])('parses %j', (value, expected) => {
    // Act & Assess
    expect(parseRetrySchedule(value)).toEqual(expected);
  });

  it.each(['', ' ', '5,,300', '5,', ',5', '5;300', 'five', '1.5', '-5', '5,-1', 'NaN', 'Infinity', '5 300', '1e3', '0x10', '5.0', '-0'])(
    'refuses %j and names the value in the error',
    (value) => {
      // Act
      const parse = () => parseRetrySchedule(value);

      // Assess
      expect(parse).toThrow(InvalidRetryScheduleError);
      expect(parse).toThrow(`"${value}"`);
    },
  );

  it('refuses a delay above the 12 h SQS visibility limit and names the value', () => {
    // Prepare
    const value = `5,${MAX_VISIBILITY_SECONDS + 1}`;

    // Act
    const parse = () => parseRetrySchedule(value);

    // Assess
    expect(parse).toThrow(InvalidRetryScheduleError);
    expect(parse).toThrow(`"${value}"`);
  });

  it('round-trips any list of whole seconds within the limit', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: MAX_VISIBILITY_SECONDS }), { minLength: 1, maxLength: 20 }), (delays) => {
        expect(parseRetrySchedule(delays.join(','))).toEqual(delays);
      }),
    );
  });
});

describe('Function: maxAttempts', () => {
  it('gives 8 attempts for the default schedule, spread over about 27.6 h', () => {
    // Act
    const attempts = maxAttempts(DEFAULT_SCHEDULE);
    const totalHours = DEFAULT_SCHEDULE.reduce((sum, delay) => sum + delay, 0) / 3600;

    // Assess
    expect(attempts).toBe(8);
    expect(totalHours).toBeCloseTo(27.6, 1);
  });

  it('is one more than the number of delays', () => {
    expect(maxAttempts([])).toBe(1);
    expect(maxAttempts([10])).toBe(2);
  });
});

describe('Function: retryDelaySeconds', () => {
  it('stays within +-20% of the scheduled delay for every step and every random value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: DEFAULT_SCHEDULE.length }), unitArb, (attempt, random) => {
        // Prepare
        const base = DEFAULT_SCHEDULE[attempt - 1]!;

        // Act
        const delay = retryDelaySeconds(DEFAULT_SCHEDULE, attempt, () => random);

        // Assess
        expect(delay).toBeDefined();
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay!).toBeGreaterThanOrEqual(Math.round(base * (1 - JITTER)));
        expect(delay!).toBeLessThanOrEqual(Math.round(base * (1 + JITTER)));
      }),
    );
  });

  it('stays within the jitter bounds for arbitrary schedules', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: MAX_VISIBILITY_SECONDS }), { minLength: 1, maxLength: 10 }),
        fc.nat(),
        unitArb,
        (schedule, pick, random) => {
          // Prepare
          const attempt = (pick % schedule.length) + 1;
          const base = schedule[attempt - 1]!;

          // Act
          const delay = retryDelaySeconds(schedule, attempt, () => random)!;

          // Assess
          expect(delay).toBeGreaterThanOrEqual(Math.round(base * 0.8));
          expect(delay).toBeLessThanOrEqual(Math.round(base * 1.2));
        },
      ),
    );
  });

  it('spans the whole jitter band: -20% at random 0, the scheduled delay at 0.5, about +20% near 1', () => {
    // Act & Assess
    expect(retryDelaySeconds([1000], 1, () => 0)).toBe(800);
    expect(retryDelaySeconds([1000], 1, () => 0.5)).toBe(1000);
    expect(retryDelaySeconds([1000], 1, () => 0.999999)).toBe(1200);
  });

  it('is undefined after the last attempt of the schedule', () => {
    // Act & Assess
    expect(retryDelaySeconds(DEFAULT_SCHEDULE, maxAttempts(DEFAULT_SCHEDULE))).toBeUndefined();
    expect(retryDelaySeconds(DEFAULT_SCHEDULE, 100)).toBeUndefined();
    expect(retryDelaySeconds([], 1)).toBeUndefined();
  });

  it('is undefined for an attempt number below 1', () => {
    expect(retryDelaySeconds(DEFAULT_SCHEDULE, 0)).toBeUndefined();
  });
});

describe('Function: withRetryAfter', () => {
  it('keeps the scheduled delay when there is no Retry-After', () => {
    expect(withRetryAfter(300, undefined)).toBe(300);
  });

  it('follows a longer Retry-After', () => {
    expect(withRetryAfter(300, 900)).toBe(900);
  });

  it('caps a huge Retry-After at the bound', () => {
    expect(withRetryAfter(5, 10 * 86400)).toBe(MAX_RETRY_AFTER_SECONDS);
  });

  it('never shortens the scheduled delay and never exceeds the larger of it and the cap', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), fc.option(fc.nat({ max: 10_000_000 }), { nil: undefined }), (scheduled, retryAfter) => {
        // Act
        const delay = withRetryAfter(scheduled, retryAfter);

        // Assess
        expect(delay).toBeGreaterThanOrEqual(scheduled);
        expect(delay).toBeLessThanOrEqual(Math.max(scheduled, MAX_RETRY_AFTER_SECONDS));
      }),
    );
  });
});

describe('Function: parseRetryAfter', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');

  it.each([
    ['120', 120],
    [' 30 ', 30],
    ['0', 0],
  ])('reads delta-seconds %j as %d', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });

  it('reads an HTTP-date as the seconds from now until then', () => {
    // Prepare
    const header = new Date(now + 90_000).toUTCString();

    // Act & Assess
    expect(parseRetryAfter(header, now)).toBe(90);
  });

  it('rounds a partial second of an HTTP-date up', () => {
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:10 GMT', now - 500)).toBe(11);
  });

  it('gives 0 for an HTTP-date in the past', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now)).toBe(0);
  });

  it.each([undefined, '', 'soon', 'abc', '-5', '1.5', '12abc', '2026-03-02', 'NaN', 'a 1', 'x 2099', 'Sunday 2030'])('ignores %j', (header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });

  it('reads any whole number of seconds as itself', () => {
    fc.assert(
      fc.property(fc.nat(), (seconds) => {
        expect(parseRetryAfter(String(seconds), now)).toBe(seconds);
      }),
    );
  });
});

describe('Function: visibilityTimeoutSeconds', () => {
  it('passes a short delay through', () => {
    expect(visibilityTimeoutSeconds(300, 2)).toBe(300);
  });

  it('rounds a fractional delay up', () => {
    expect(visibilityTimeoutSeconds(4.2, 0)).toBe(5);
  });

  it('caps a long delay below 12 h minus the time since the receive', () => {
    // Act
    const visibility = visibilityTimeoutSeconds(50_000, 100);

    // Assess
    expect(visibility).toBeLessThan(MAX_VISIBILITY_SECONDS - 100);
    expect(visibility).toBeGreaterThan(MAX_VISIBILITY_SECONDS - 100 - 300);
  });

  it('never ends 12 h or more after the receive, and is never negative', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e7, noNaN: true }),
        // A Lambda holds a message at most 15 min, far below the 12 h window.
        fc.double({ min: 0, max: 900, noNaN: true }),
        (delay, elapsed) => {
          // Act
          const visibility = visibilityTimeoutSeconds(delay, elapsed);

          // Assess
          expect(Number.isInteger(visibility)).toBe(true);
          expect(visibility).toBeGreaterThanOrEqual(0);
          expect(visibility + elapsed).toBeLessThan(MAX_VISIBILITY_SECONDS);
          expect(visibility).toBeLessThanOrEqual(Math.ceil(delay));
        },
      ),
    );
  });

  it('covers the whole delay whenever it fits in the window', () => {
    fc.assert(
      fc.property(fc.nat({ max: 3600 }), fc.nat({ max: 3600 }), (delay, elapsed) => {
        expect(visibilityTimeoutSeconds(delay, elapsed)).toBe(delay);
      }),
    );
  });
});
