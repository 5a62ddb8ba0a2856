import { describe, expect, it } from 'vitest';
import { countDifferences, fanOutTimes, perUnitCounts, spreadIndices, total } from '../../../bench/pipeline/consumer-stats';

describe('Function: perUnitCounts', () => {
  it('counts calls by label over the units, labels in order', () => {
    // Prepare
    const calls = ['SQS Send', 'DynamoDB Query', 'SQS Send', 'SQS Send'];

    // Act
    const counts = perUnitCounts(calls, 2, (call) => call);

    // Assess
    expect(Object.entries(counts)).toEqual([
      ['DynamoDB Query', 0.5],
      ['SQS Send', 1.5],
    ]);
    expect(total(counts)).toBe(2);
  });

  it('refuses to count over no units', () => {
    // Act & Assess
    expect(() => perUnitCounts([], 0, String)).toThrow('no units');
  });
});

describe('Function: countDifferences', () => {
  it('is empty when every label counts the same', () => {
    // Act & Assess
    expect(countDifferences({ a: 1, b: 10 }, { b: 10, a: 1 })).toEqual([]);
  });

  it('names each label that differs, one side lacking it counting 0', () => {
    // Act
    const differences = countDifferences({ query: 1, get: 10 }, { query: 1, put: 1 });

    // Assess
    expect(differences).toEqual(['get 10 vs 0', 'put 0 vs 1']);
  });
});

describe('Function: fanOutTimes', () => {
  it("is each event's time from being sent to its last delivery, in the events' order", () => {
    // Prepare
    const sent = [
      { i: 0, sentAt: 1000 },
      { i: 1, sentAt: 2000 },
    ];
    const received = [
      { i: 1, receivedAt: 2030 },
      { i: 0, receivedAt: 1010 },
      { i: 0, receivedAt: 1050 },
      { i: 1, receivedAt: 2020 },
    ];

    // Act
    const times = fanOutTimes(sent, received, 2);

    // Assess
    expect(times).toEqual([50, 30]);
  });

  it('refuses an event missing some of its deliveries', () => {
    // Act & Assess
    expect(() => fanOutTimes([{ i: 3, sentAt: 0 }], [{ i: 3, receivedAt: 5 }], 2)).toThrow('event 3 has 1 of its 2 deliveries');
  });
});

describe('Function: spreadIndices', () => {
  it('gives distinct indices below the size, the same every time', () => {
    // Act
    const indices = spreadIndices(205, 100_000);

    // Assess
    expect(new Set(indices).size).toBe(205);
    expect(indices.every((index) => index >= 0 && index < 100_000)).toBe(true);
    expect(spreadIndices(205, 100_000)).toEqual(indices);
  });

  it('spreads them over the whole range rather than the first few', () => {
    // Act
    const indices = spreadIndices(10, 100_000);

    // Assess
    expect(Math.max(...indices)).toBeGreaterThan(50_000);
  });

  it('covers every index when asked for all, whatever primes divide the size', () => {
    // Act & Assess
    for (const size of [1, 7, 101 * 7919, 1000, 2 * 104_729]) {
      expect(new Set(spreadIndices(Math.min(size, 1000), size)).size).toBe(Math.min(size, 1000));
    }
  });

  it('refuses more indices than there are', () => {
    // Act & Assess
    expect(() => spreadIndices(11, 10)).toThrow('11 distinct indices below 10');
  });
});
