import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** The machine's CPU time since boot, over all cores, in clock ticks. */
export interface CpuTicks {
  busy: number;
  total: number;
}

/**
 * The first line of Linux's /proc/stat (`cpu  user nice system idle iowait irq softirq steal ...`):
 * idle and iowait are time no core worked; guest time is already counted in user, so the first
 * eight fields are the whole. Undefined for anything else.
 */
export const parseProcStat = (text: string): CpuTicks | undefined => {
  const fields = /^cpu\s+(.*)$/m.exec(text)?.[1]?.trim().split(/\s+/).slice(0, 8).map(Number);
  if (fields === undefined || fields.length < 5 || fields.some((n) => !Number.isFinite(n))) return undefined;
  const total = fields.reduce((sum, n) => sum + n, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
};

/** What the machine's cores did over a measurement. */
export interface MachineCpu {
  cores: number;
  /** Cores busy on average over the whole time. */
  meanBusyCores: number;
  /** Share of the intervals in which the cores were at least `SATURATED` busy. */
  saturatedShare: number;
}

/** How often the machine's CPU time is read, by default. */
export const CPU_READ_EVERY_MS = 250;

/** Busy share of all cores from which an interval counts as saturated. */
export const SATURATED = 0.9;

/** Busy cores over each interval between consecutive readings, and the whole. */
export const summarise = (readings: readonly CpuTicks[], cores: number): MachineCpu | undefined => {
  if (readings.length < 2) return undefined;
  const first = readings[0]!;
  const last = readings[readings.length - 1]!;
  const intervals = readings.slice(1).map((reading, i) => {
    const total = reading.total - readings[i]!.total;
    return total > 0 ? (reading.busy - readings[i]!.busy) / total : 0;
  });
  const total = last.total - first.total;
  return {
    cores,
    meanBusyCores: total > 0 ? ((last.busy - first.busy) / total) * cores : 0,
    saturatedShare: intervals.filter((share) => share >= SATURATED).length / intervals.length,
  };
};

const readTicks = (): CpuTicks | undefined => {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
};

/**
 * Reads the machine's CPU time every `everyMs` until `forMs` have passed (Linux only: elsewhere
 * the result is undefined). Everything on the machine counts: the local runtime's threads, the
 * DynamoDB Local JVM and the benchmark's own receivers, the work that shares the cores.
 */
export const meterMachineCpu = (forMs: number, everyMs = CPU_READ_EVERY_MS): Promise<MachineCpu | undefined> =>
  new Promise((resolve) => {
    const readings: CpuTicks[] = [];
    const read = () => {
      const ticks = readTicks();
      if (ticks !== undefined) readings.push(ticks);
    };
    read();
    const timer = setInterval(read, everyMs);
    setTimeout(() => {
      clearInterval(timer);
      read();
      resolve(summarise(readings, availableParallelism()));
    }, forMs);
  });
