import { describe, expect, it } from 'vitest';
import { parseProcStat, summarise } from '../../../bench/pipeline/machine-cpu';

describe('parseProcStat', () => {
  it('counts idle and iowait as not busy, and leaves out guest time (already in user)', () => {
    const text = 'cpu  100 5 40 800 20 3 2 0 7 1\ncpu0 50 2 20 400 10 1 1 0 3 0\n';
    expect(parseProcStat(text)).toEqual({ busy: 150, total: 970 });
  });

  it('is undefined for text without the machine line', () => {
    expect(parseProcStat('intr 1 2 3\n')).toBeUndefined();
    expect(parseProcStat('cpu  1 2 x 4 5\n')).toBeUndefined();
  });
});

describe('summarise', () => {
  it('gives busy cores over the whole time and the share of saturated intervals', () => {
    // Two cores, 50 ticks per interval: 50 busy (saturated), then 25 busy, then 45 busy (90%: saturated).
    const readings = [
      { busy: 0, total: 0 },
      { busy: 50, total: 50 },
      { busy: 75, total: 100 },
      { busy: 120, total: 150 },
    ];
    expect(summarise(readings, 2)).toEqual({ cores: 2, meanBusyCores: 1.6, saturatedShare: 2 / 3 });
  });

  it('needs two readings', () => {
    expect(summarise([{ busy: 1, total: 2 }], 2)).toBeUndefined();
  });
});
