/**
 * Figures of the consumers benchmark: per-event request counts, their exact comparison, fan-out
 * times. Pure: the benchmark and its tests use them.
 */

/** Requests per unit (event, operation) by label: counts over `units`, labels in order. */
export const perUnitCounts = <T>(calls: readonly T[], units: number, label: (call: T) => string): Record<string, number> => {
  if (units <= 0) throw new Error('counts per unit of no units');
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(label(call), (counts.get(label(call)) ?? 0) + 1);
  return Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)).map(([name, count]) => [name, count / units]));
};

/** The labels whose counts differ, as `label a vs b` (a label one side lacks counts 0 there). */
export const countDifferences = (measured: Record<string, number>, baseline: Record<string, number>): string[] => {
  const labels = [...new Set([...Object.keys(measured), ...Object.keys(baseline)])].sort();
  return labels
    .filter((label) => (measured[label] ?? 0) !== (baseline[label] ?? 0))
    .map((label) => `${label} ${measured[label] ?? 0} vs ${baseline[label] ?? 0}`);
};

/** The sum of a record's counts. */
export const total = (counts: Record<string, number>): number => Object.values(counts).reduce((sum, count) => sum + count, 0);

/** When an event was sent, by the event's number. */
export interface SentAt {
  i: number;
  sentAt: number;
}

/** When a delivery of event `i` was received. */
export interface ReceivedAt {
  i: number;
  receivedAt: number;
}

/**
 * Each event's fan-out time: from when it was sent to the last of its `perEvent` deliveries
 * received. An event missing any of its deliveries is an error: the benchmark waits for all of them.
 */
export const fanOutTimes = (sent: readonly SentAt[], received: readonly ReceivedAt[], perEvent: number): number[] => {
  const byEvent = new Map<number, number[]>();
  for (const { i, receivedAt } of received) byEvent.set(i, [...(byEvent.get(i) ?? []), receivedAt]);
  return sent.map(({ i, sentAt }) => {
    const times = byEvent.get(i) ?? [];
    if (times.length < perEvent) throw new Error(`event ${i} has ${times.length} of its ${perEvent} deliveries`);
    return Math.max(...times) - sentAt;
  });
};

/**
 * `count` distinct indices below `size`, spread over it in a fixed order (the same every run): the
 * consumers the benchmark publishes to. Steps by a prime that does not divide `size`.
 */
export const spreadIndices = (count: number, size: number, offset = 0): number[] => {
  if (count > size) throw new Error(`${count} distinct indices below ${size}`);
  const step = [104_729, 7919, 101, 7].find((prime) => size % prime !== 0 && prime < size) ?? 1;
  return Array.from({ length: count }, (_, k) => (offset + k * step) % size);
};
