import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, packEntries } from '../../../lambdas/aws/sqs-publisher';

/** Message bodies packed by their UTF-8 size, as the publisher packs them. */
const packBatches = (bodies: readonly string[]): string[][] => packEntries(bodies, (body) => Buffer.byteLength(body));

const bytesOf = (batch: readonly string[]) => batch.reduce((sum, body) => sum + Buffer.byteLength(body), 0);

describe('Function: packEntries, message bodies by UTF-8 size', () => {
  it('packs 25 small bodies into batches of 10, 10 and 5, in order', () => {
    // Prepare
    const bodies = Array.from({ length: 25 }, (_, i) => `{"n":${i}}`);

    // Act
    const batches = packBatches(bodies);

    // Assess
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(bodies);
  });

  it('gives no batch for no bodies', () => {
    expect(packBatches([])).toEqual([]);
  });

  it('splits large bodies so that no batch exceeds MAX_BATCH_BYTES', () => {
    // Prepare: 200 KiB bodies, so only five fit in one request
    const bodies = Array.from({ length: 12 }, (_, i) => String(i).padEnd(200 * 1024, 'x'));

    // Act
    const batches = packBatches(bodies);

    // Assess
    expect(batches.map((batch) => batch.length)).toEqual([5, 5, 2]);
    for (const batch of batches) expect(bytesOf(batch)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    expect(batches.flat()).toEqual(bodies);
  });

  it('counts bytes, not characters', () => {
    // Prepare: 'é' is two bytes, so two of these 300 K-character bodies exceed the limit
    const body = 'é'.repeat(300 * 1024);

    // Act
    const batches = packBatches([body, body]);

    // Assess
    expect(batches).toHaveLength(2);
  });

  it('keeps every body, in order, in batches within both limits', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 * 1024 }), { maxLength: 40 }), (sizes) => {
        // Prepare
        const bodies = sizes.map((size, i) => `${i}:`.padEnd(size, 'x'));

        // Act
        const batches = packBatches(bodies);

        // Assess
        expect(batches.flat()).toEqual(bodies);
        for (const batch of batches) {
          expect(batch.length).toBeGreaterThan(0);
          expect(batch.length).toBeLessThanOrEqual(MAX_BATCH_ENTRIES);
          expect(batch.length === 1 || bytesOf(batch) <= MAX_BATCH_BYTES).toBe(true);
        }
        // never split early: each batch was closed because the next body did not fit
        for (let i = 0; i + 1 < batches.length; i++) {
          const batch = batches[i]!;
          const next = batches[i + 1]![0]!;
          expect(batch.length === MAX_BATCH_ENTRIES || bytesOf(batch) + Buffer.byteLength(next) > MAX_BATCH_BYTES).toBe(true);
        }
      }),
      { numRuns: 50 },
    );
  });
});
