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

  it('runs an evaluation the time limit stopped once more, so a slow first run in a fresh process still makes the body', async () => {
    // Prepare: a clock on which the first evaluation's first steps take half the limit each (as in
    // a cold process on a busy CPU), so its fourth reading is past the limit; then steps take no time.
    let reads = 0;
    const now = () => {
      reads += 1;
      return Math.min(reads, 4) * (TRANSFORMATION_GUARDS.timeoutMs / 2);
    };

    // Act
    const result = await evaluateTransformation('{"order": data.orderId, "skus": data.lines.sku, "total": data.total * 2}', INPUT, TRANSFORMATION_GUARDS, now);

    // Assess
    expect(result).toEqual({ kind: 'body', body: '{"order":"ord_1","skus":["a","b"],"total":240}' });
  });

  it('fails an evaluation the time limit stops twice, saying so', async () => {
    // Prepare: a clock on which every step takes longer than the limit.
    let clock = 0;
    const now = () => (clock += TRANSFORMATION_GUARDS.timeoutMs + 1);

    // Act
    const result = await evaluateTransformation('{"order": data.orderId}', INPUT, TRANSFORMATION_GUARDS, now);

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
    const result = await evaluateTransformation('[1..3].$pad("", 100000, "x")', INPUT);

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

  it.each([
    ['$match(data.orderId, /(a+)+$/)', 29],
    ['{"ok": $contains(data.orderId, /ord/i)}', 37],
    ['data.lines[$replace(sku, /a/, "b") = "b"]', 28],
    ['($f := function($s) { $split($s, /,/) }; $f(data.orderId))', 36],
  ])('refuses a regular expression, with its position and what to use instead: %s', async (expression, position) => {
    // Act
    const refusal = await checkTransformation(expression);

    // Assess
    expect(refusal).toEqual({ message: expect.stringMatching(/^regular expressions are not supported .*use the string forms of \$contains, \$split and \$replace/), position, refused: true });
  });

  it('accepts the string forms of the functions that also take a regular expression', async () => {
    // Act + Assess
    expect(await checkTransformation('{"a": $contains(data.orderId, "ord"), "b": $split(type, "."), "c": $replace(type, ".", "/")}')).toBeUndefined();
  });
});

describe('Function: evaluateTransformation, regular expressions', () => {
  it.each([
    ['a saved regular expression', '$contains(data.text, /(a+)+$/)'],
    ['one made at run time by $eval', '$eval("$match(data.text, /(a+)+$/)")'],
  ])('refuses %s without running it', async (_case, expression) => {
    // Act: the input would make this pattern backtrack for longer than a delivery can wait
    const result = await evaluateTransformation(expression, { ...INPUT, data: { text: `${'a'.repeat(40)}!` } });

    // Assess
    expect(result).toEqual({ kind: 'failed', message: expect.stringMatching(/regular expressions are not supported /) });
  });
});

describe('Function: evaluateTransformation, built-ins that could make far more than they are given', () => {
  const limit = TRANSFORMATION_GUARDS.maxOutputBytes;

  it.each([
    ['$pad to a huge width', '$pad("", 2e8)', /^output limit: \$pad to 200000000 characters would be larger than/],
    ['$join of a string shared many times', '($s := $pad("", 100000); $length($join([1..10].($s))))', /^output limit: \$join would be larger than/],
    ['$join with a long separator', '($s := $pad("", 100000); $length($join(["a", "b", "c", "d"], $s)))', /^output limit: \$join would be larger than/],
    ['$string of a value shared many times', '($s := $pad("", 100000); $length($string([1..10].($s))))', /^output limit: \$string would be larger than/],
    ['$string pretty-printed past the limit', '($o := {"k": [1..30000]}; $length($string($o, true)))', /^output limit: \$string would be larger than/],
    ['$fromMillis with a wide picture', '$length($fromMillis(0, "[Y,5000000]"))', /^output limit: \$fromMillis with this picture would be larger than/],
    ['$now with a wide picture', '$length($now("[M,1000000-*]"))', /^output limit: \$now with this picture would be larger than/],
    ['$append doubling in a loop', '($f := function($a, $n) { $n = 0 ? $count($a) : $f($append($a, $a), $n - 1) }; $f([1], 24))', /^sequence limit: \$append would hold more than 100000 items/],
    ['$keys of an object shared many times', '($o := $merge([1..400].{$string($): 1}); $count($keys([1..400].($o))))', /^sequence limit: \$keys \(the keys of its objects together\)/],
    ['$merge of an object shared many times', '($o := $merge([1..400].{$string($): 1}); $count($keys($merge([1..400].($o)))))', /^sequence limit: \$merge/],
    ['$spread of an object shared many times', '($o := $merge([1..400].{$string($): 1}); $count($spread([1..400].($o))))', /^sequence limit: \$spread/],
    ['$distinct of large items shared many times', '($o := {"s": $pad("", 100000)}; $count($distinct([1..10].($o))))', /^output limit: \$distinct/],
    ['& on a value shared many times', '($s := $pad("", 100000); $length([1..10].($s) & ""))', /^output limit: a string of more than/],
    ['& doubling a string in a loop', '($f := function($s, $n) { $n = 0 ? $length($s) : $f($s & $s, $n - 1) }; $f("ab", 30))', /^output limit: a string of more than/],
    ['a result shared many times', '($s := $pad("", 100000); [1..10].($s))', /^output limit: the result is larger than/],
  ])('refuses %s before making it', async (_case, expression, message) => {
    // Act
    const result = await evaluateTransformation(expression, INPUT);

    // Assess
    expect(result).toEqual({ kind: 'failed', message: expect.stringMatching(message) });
  });

  it.each([
    ['$pad', '$pad("7", -3, "0")', '"007"'],
    ['$pad with a fill of several characters', '$pad("x", 6, "ab")', '"xababa"'],
    ['$pad with a fill of characters beyond 16 bits', '$pad("x", -4, "😀é")', '"😀é😀x"'],
    ['$pad with a fill as long as its width', '$length($pad("", 50000, $pad("", 50000, "ab")))', '50000'],
    ['$join', '$join(data.lines.sku, ", ")', '"a, b"'],
    ['$string', '$string(data.lines, true)', JSON.stringify(JSON.stringify(INPUT.data.lines, undefined, 2))],
    ['$fromMillis', '$fromMillis(0, "[Y0001]-[M01]-[D01]")', '"1970-01-01"'],
    ['$now', '$string($now("[Y0001]") > "2000")', '"true"'],
    ['$toMillis', '$toMillis("2026-03-01 12:00", "[Y0001]-[M01]-[D01] [H01]:[m01]")', '1772366400000'],
    ['$append', '$append([1, 2], 3)', '[1,2,3]'],
    ['$keys', '$keys(data.lines)', '"sku"'],
    ['$merge', '$merge([{"a": 1}, {"b": 2}])', '{"a":1,"b":2}'],
    ['$spread', '$spread({"a": 1, "b": 2})', '[{"a":1},{"b":2}]'],
    ['$distinct', '$distinct([1, "1", 1, {"a": 1, "b": [2]}, {"b": [2], "a": 1}, [1], [1], null, null])', '[1,"1",{"a":1,"b":[2]},[1],null]'],
    ['&', 'data.orderId & ": " & data.lines', '"ord_1: [{\\"sku\\":\\"a\\"},{\\"sku\\":\\"b\\"}]"'],
  ])('keeps the meaning of %s within the limits', async (_case, expression, body) => {
    // Act + Assess
    expect(await evaluateTransformation(expression, INPUT)).toEqual({ kind: 'body', body });
  });

  it('leaves each bounded result within the output limit at the limit itself', async () => {
    // Act + Assess
    expect(await evaluateTransformation(`$length($pad("", ${limit}))`, INPUT)).toEqual({ kind: 'body', body: String(limit) });
  });

  it.each([
    ['two parts side by side', '$toMillis($pad("", 40, "1") & "x", "[f][f][f][f][f][f][f][f][f][f][f][f]")', /between \[f\] and \[f\]/],
    ['parts separated by a digit', '$toMillis("2026", "[Y]1[M]1[D]")', /between \[Y\] and \[M\]/],
    ['a part in words', '$toMillis("two thousand", "[YW]")', /in words/],
  ])('refuses a $toMillis picture whose parsing could backtrack: %s', async (_case, expression, message) => {
    // Act
    const result = await evaluateTransformation(expression, INPUT);

    // Assess
    expect(result).toEqual({ kind: 'failed', message: expect.stringMatching(message) });
  });
});
