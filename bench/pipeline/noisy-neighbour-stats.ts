/**
 * Latency figures for deliveries some of which may not have arrived when a measurement ends.
 * Pure: the noisy-neighbour benchmark and its tests use them.
 */

/** One event's latency; a delivery that had not arrived counts the time it had waited so far. */
export interface LatencySample {
  ms: number;
  /** False when the delivery had not arrived: `ms` is then only a lower bound. */
  received: boolean;
}

/** A percentile of samples; `lowerBound` when deliveries still missing could make it larger. */
export interface LatencyFigure {
  ms: number;
  lowerBound: boolean;
}

/**
 * Nearest-rank percentile (p in 0..100) of samples where missing deliveries count their wait so
 * far. Counting a missing one at its wait can only lower the result, so the result is exact when
 * no missing delivery's wait is at or below it, and a lower bound otherwise.
 */
export const latencyPercentile = (samples: readonly LatencySample[], p: number): LatencyFigure => {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a.ms - b.ms);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  const ms = sorted[rank - 1]!.ms;
  return { ms, lowerBound: samples.some((sample) => !sample.received && sample.ms <= ms) };
};

/** `850 ms`, `2.40 s`; `> 21.3 s` for a lower bound. */
export const formatLatency = ({ ms, lowerBound }: LatencyFigure): string => {
  const text = ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
  return lowerBound ? `> ${text}` : text;
};

/** `3.2x`; `> 3.2x` when the figure over the baseline is a lower bound; `-` without a baseline. */
export const formatRatio = (figure: LatencyFigure, baseline: LatencyFigure): string => {
  if (baseline.ms <= 0 || baseline.lowerBound) return '-';
  const ratio = figure.ms / baseline.ms;
  return `${figure.lowerBound ? '> ' : ''}${ratio < 10 ? ratio.toFixed(2) : ratio.toFixed(0)}x`;
};

/**
 * Whether a latency beside a neighbour is known to be at most `factor` times the same latency
 * alone and under `ceilingMs`; a lower bound on either side never is.
 */
export const neighbourTargetMet = (beside: LatencyFigure, alone: LatencyFigure, factor: number, ceilingMs: number): boolean =>
  !beside.lowerBound && !alone.lowerBound && beside.ms <= alone.ms * factor && beside.ms < ceilingMs;

/**
 * Deliveries per second of a burst: those received within `windowMs` of its start, over the time
 * until the last of them arrived if all did, else over the whole window.
 */
export const burstRate = (receivedAtMs: readonly number[], startMs: number, expected: number, windowMs: number): { perSecond: number; received: number; allWithinMs?: number } => {
  const within = receivedAtMs.filter((at) => at - startMs <= windowMs);
  if (within.length >= expected && expected > 0) {
    const allWithinMs = Math.max(1, Math.max(...within) - startMs);
    return { perSecond: (within.length * 1000) / allWithinMs, received: within.length, allWithinMs };
  }
  return { perSecond: (within.length * 1000) / windowMs, received: within.length };
};
