import { describe, expect, it } from 'vitest';
import { burstRate, formatLatency, formatRatio, latencyPercentile, neighbourTargetMet } from '../../../bench/pipeline/noisy-neighbour-stats';

const received = (ms: number) => ({ ms, received: true });
const missing = (ms: number) => ({ ms, received: false });

describe('Function: latencyPercentile', () => {
  it('is the nearest-rank percentile when every delivery arrived', () => {
    // Prepare
    const samples = [50, 10, 40, 20, 30].map(received);

    // Act
    const p50 = latencyPercentile(samples, 50);
    const max = latencyPercentile(samples, 100);

    // Assess
    expect(p50).toEqual({ ms: 30, lowerBound: false });
    expect(max).toEqual({ ms: 50, lowerBound: false });
  });

  it('stays exact while every missing delivery has waited longer than the figure', () => {
    // Prepare
    const samples = [received(10), received(20), received(30), missing(5_000)];

    // Act
    const p50 = latencyPercentile(samples, 50);

    // Assess
    expect(p50).toEqual({ ms: 20, lowerBound: false });
  });

  it('is a lower bound once a missing delivery counts at or below the figure', () => {
    // Prepare: the missing one had waited 15 ms so far, and may arrive much later.
    const samples = [received(10), missing(15), received(20), received(30)];

    // Act
    const p50 = latencyPercentile(samples, 50);
    const max = latencyPercentile([received(10), missing(40)], 100);

    // Assess
    expect(p50).toEqual({ ms: 15, lowerBound: true });
    expect(max).toEqual({ ms: 40, lowerBound: true });
  });

  it('refuses an empty list', () => {
    expect(() => latencyPercentile([], 95)).toThrow('no samples');
  });
});

describe('Function: formatLatency and formatRatio', () => {
  it('writes milliseconds under a second, seconds above, and marks lower bounds', () => {
    expect(formatLatency({ ms: 131.4, lowerBound: false })).toBe('131 ms');
    expect(formatLatency({ ms: 34_720, lowerBound: false })).toBe('34.72 s');
    expect(formatLatency({ ms: 21_300, lowerBound: true })).toBe('> 21.30 s');
  });

  it('writes the ratio to a baseline, a lower bound as such, and none over an unknown baseline', () => {
    const alone = { ms: 100, lowerBound: false };
    expect(formatRatio({ ms: 250, lowerBound: false }, alone)).toBe('2.50x');
    expect(formatRatio({ ms: 34_700, lowerBound: true }, alone)).toBe('> 347x');
    expect(formatRatio(alone, { ms: 100, lowerBound: true })).toBe('-');
    expect(formatRatio(alone, { ms: 0, lowerBound: false })).toBe('-');
  });
});

describe('Function: neighbourTargetMet', () => {
  const alone = { ms: 200, lowerBound: false };

  it('holds within the factor of the figure alone and under the ceiling', () => {
    expect(neighbourTargetMet({ ms: 400, lowerBound: false }, alone, 2, 1_500)).toBe(true);
    expect(neighbourTargetMet({ ms: 401, lowerBound: false }, alone, 2, 1_500)).toBe(false);
  });

  it('fails at the ceiling even within the factor', () => {
    expect(neighbourTargetMet({ ms: 1_500, lowerBound: false }, { ms: 1_000, lowerBound: false }, 2, 1_500)).toBe(false);
  });

  it('never holds for a lower bound on either side', () => {
    expect(neighbourTargetMet({ ms: 300, lowerBound: true }, alone, 2, 1_500)).toBe(false);
    expect(neighbourTargetMet({ ms: 300, lowerBound: false }, { ms: 200, lowerBound: true }, 2, 1_500)).toBe(false);
  });
});

describe('Function: burstRate', () => {
  it('divides by the time until the last delivery when all arrived within the window', () => {
    // Act
    const rate = burstRate([1_000, 1_500, 3_000], 1_000, 3, 20_000);

    // Assess: 3 deliveries in 2 s
    expect(rate).toEqual({ perSecond: 1.5, received: 3, allWithinMs: 2_000 });
  });

  it('divides by the whole window when some did not arrive, and ignores arrivals after it', () => {
    // Act
    const rate = burstRate([5_000, 9_000, 30_000], 0, 4, 10_000);

    // Assess
    expect(rate).toEqual({ perSecond: 0.2, received: 2 });
  });

  it('is zero when nothing arrived', () => {
    expect(burstRate([], 0, 10, 20_000)).toEqual({ perSecond: 0, received: 0 });
  });
});
