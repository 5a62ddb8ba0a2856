import { InvalidArgumentError } from 'commander';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** The largest time a JavaScript Date holds. */
const MAX_TIME_MS = 8.64e15;

/**
 * A point in time on the command line: an ISO-8601 time (`2026-03-01T12:00:00Z`) or a duration back
 * from now (`90s`, `15m`, `2h`, `3d`), which is what one types at 3 a.m. Returns an ISO string.
 */
export const parseTimeArg = (value: string, now: () => number = Date.now): string => {
  const trimmed = value.trim();
  const relative = /^(\d+)([smhd])$/.exec(trimmed);
  if (relative !== null) {
    const time = now() - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
    if (Number.isFinite(time) && Math.abs(time) <= MAX_TIME_MS) return new Date(time).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed) && !Number.isNaN(Date.parse(trimmed))) {
    return new Date(trimmed).toISOString();
  }
  throw new InvalidArgumentError('must be an ISO-8601 time (2026-03-01T12:00:00Z) or a duration back from now (90s, 15m, 2h, 3d).');
};
