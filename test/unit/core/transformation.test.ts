import { describe, expect, it } from 'vitest';
import { checkTransformation, evaluateTransformation, TRANSFORMATION_GUARDS } from '../../../lambdas/core/transformation';

const INPUT = { type: 'order.created', timestamp: '2026-03-01T12:00:00.000Z', data: { orderId: 'ord_1', total: 120, lines: [{ sku: 'a' }, { sku: 'b' }] } };

describe('Function: evaluateTransformation', () => {
  it('makes the body of the result as JSON text', async () => {
    // Act
    const result = await evaluateTransformation('{"order": data.orderId, "skus": data.lines.sku, "kind": type}', INPUT);

    // Assess
    expect(result).toEqual({ kind: 'body', body: '{"order":"ord_1","skus":["a","b"],"kind":"order.created"}' });
  });

  it('cancels when the expression evaluates to nothing', async () => {
    // Act + Assess
    expect(await evaluateTransformation('data.total > 500 ? $ : undefined', INPUT)).toEqual({ kind: 'cancelled' });
  });

  it('stops a runaway tail-recursive loop at the time limit', async () => {
    // Act
    const result = await evaluateTransformation('($loop := function($n) { $loop($n + 1) }; $loop(0))', INPUT);

    // Assess
    expect(result).toEqual({ kind: 'failed', message: `time limit: ran longer than ${TRANSFORMATION_GUARDS.timeoutMs} ms` });
  });

  it('stops deep recursion at the depth limit', async () => {
    // Act
    // The time limit out of the way, so a slow machine cannot end it on time first.
    const result = await evaluateTransformation('($down := function($n) { $n = 0 ? 0 : 1 + $down($n - 1) }; $down(100000))', INPUT, {
      ...TRANSFORMATION_GUARDS,
      timeoutMs: 60_000,
    });

    // Assess
    expect(result).toEqual({ kind: 'failed', message: expect.stringMatching(/^depth limit: nested deeper than 100 /) });
  });

  it('allows shallow recursion', async () => {
    // Act + Assess
    expect(await evaluateTransformation('($down := function($n) { $n = 0 ? 0 : 1 + $down($n - 1) }; $down(10))', INPUT)).toEqual({ kind: 'body', body: '10' });
  });

  it('refuses a huge range before allocating it', async () => {
    // Act
    const result = await evaluateTransformation('[1..5000000]', INPUT);

    // Assess
    expect(result).toEqual({ kind: 'failed', message: `sequence limit: a sequence or range of more than ${TRANSFORMATION_GUARDS.maxSequence} items` });
  });

  it('fails an output larger than the limit', async () => {
    // Act
    const result = await evaluateTransformation('$pad("", 300000, "x")', INPUT);

    // Assess
    expect(result).toEqual({ kind: 'failed', message: `output limit: the result is larger than ${TRANSFORMATION_GUARDS.maxOutputBytes} bytes` });
  });

  it('fails with the error an expression raises', async () => {
    // Act + Assess
    expect(await evaluateTransformation('$error("no customer")', INPUT)).toEqual({ kind: 'failed', message: 'error D3137: no customer' });
  });

  it('fails a result that is a function, not JSON', async () => {
    // Act + Assess
    expect(await evaluateTransformation('function($x) { $x }', INPUT)).toEqual({ kind: 'failed', message: 'result: a function, not a JSON value' });
  });
});

describe('Function: checkTransformation', () => {
  it('accepts an expression that compiles and gives the position of one that does not', async () => {
    // Act + Assess
    expect(await checkTransformation('{"id": data.orderId}')).toBeUndefined();
    expect(await checkTransformation('{"id": ')).toEqual({ message: 'Expected "}" before end of expression', position: 7 });
  });
});
