import { describe, expect, it } from 'vitest';
import { consumerCount, DEFAULT_CONSUMERS, seededConsumerId } from '../../../bench/pipeline/consumer-seed';

describe('Function: consumerCount', () => {
  it('is 100,000 unless BENCH_CONSUMERS says otherwise', () => {
    // Act & Assess
    expect(consumerCount(undefined)).toBe(DEFAULT_CONSUMERS);
    expect(consumerCount('')).toBe(100_000);
    expect(consumerCount('10000')).toBe(10_000);
  });

  it('refuses what is not a whole number of consumers, saying what it got', () => {
    // Act & Assess
    for (const text of ['0', '-5', '2.5', 'many']) {
      expect(() => consumerCount(text)).toThrow(`BENCH_CONSUMERS must be a whole number of consumers, at least 1; got "${text}"`);
    }
  });
});

describe('Function: seededConsumerId', () => {
  it('pads the number so that ids sort as their numbers do', () => {
    // Act
    const ids = [2, 10, 99_999].map(seededConsumerId);

    // Assess
    expect(ids).toEqual(['c-0000002', 'c-0000010', 'c-0099999']);
    expect([...ids].sort()).toEqual(ids);
  });
});
