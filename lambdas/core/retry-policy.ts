/**
 * The retry schedule is data: delays in seconds before retries 1..N, so attempts = N + 1.
 * Each delay gets +-20% jitter so that receivers recovering from an outage are not hit in lockstep.
 */
export const JITTER = 0.2;

/** SQS refuses a visibility timeout that ends more than 12 h after the receive. */
export const MAX_VISIBILITY_SECONDS = 12 * 3600;
/** Room left for clock skew between the receive and our ChangeMessageVisibility call. */
const VISIBILITY_SAFETY_SECONDS = 60;
/** A receiver's Retry-After is honoured up to this bound, never beyond. */
export const MAX_RETRY_AFTER_SECONDS = 6 * 3600;

export class InvalidRetryScheduleError extends Error {
  override name = 'InvalidRetryScheduleError';
}

export const parseRetrySchedule = (value: string): number[] => {
  const parts = value.split(',').map((part) => part.trim());
  const delays = parts.map(Number);
  if (parts.some((part) => !/^\d+$/.test(part))) {
    throw new InvalidRetryScheduleError(
      `retry schedule "${value}" must be a comma-separated list of whole seconds, e.g. "5,300,1800"`,
    );
  }
  if (delays.some((d) => d > MAX_VISIBILITY_SECONDS)) {
    throw new InvalidRetryScheduleError(`retry schedule "${value}" has a delay above ${MAX_VISIBILITY_SECONDS} s`);
  }
  return delays;
};

export const maxAttempts = (schedule: readonly number[]): number => schedule.length + 1;

/**
 * Seconds to wait after the failed attempt number `attempt` (1-based), or undefined when that
 * was the last attempt. `random` is in [0, 1).
 */
export const retryDelaySeconds = (
  schedule: readonly number[],
  attempt: number,
  random: () => number = Math.random,
): number | undefined => {
  const base = schedule[attempt - 1];
  if (base === undefined) return undefined;
  const factor = 1 - JITTER + 2 * JITTER * random();
  return Math.max(0, Math.round(base * factor));
};

/** A receiver asking for more time gets it (bounded); it never shortens the scheduled wait. */
export const withRetryAfter = (scheduledSeconds: number, retryAfterSeconds: number | undefined): number =>
  retryAfterSeconds === undefined
    ? scheduledSeconds
    : Math.max(scheduledSeconds, Math.min(retryAfterSeconds, MAX_RETRY_AFTER_SECONDS));

/** IMF-fixdate, the HTTP-date form servers send: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * `Retry-After` is either delta-seconds or an HTTP-date. Anything else is ignored rather than
 * trusted.
 */
export const parseRetryAfter = (header: string | undefined, nowMs: number): number | undefined => {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  if (!HTTP_DATE.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
};

/**
 * The visibility timeout to set now so the message reappears after `delaySeconds`, capped so it
 * stays within the 12 h SQS allows from the receive. A capped message simply reappears early and
 * is deferred again without an attempt.
 */
export const visibilityTimeoutSeconds = (delaySeconds: number, secondsSinceReceive: number): number => {
  const ceiling = MAX_VISIBILITY_SECONDS - VISIBILITY_SAFETY_SECONDS - Math.max(0, Math.ceil(secondsSinceReceive));
  return Math.max(0, Math.min(Math.ceil(delaySeconds), ceiling));
};
