import fc from 'fast-check';

/**
 * JSON texts as publishers write them, in the forms JSON.parse and JSON.stringify would change:
 * integers past 2^53, decimals longer than a double holds, exponents (1e400 included), trailing
 * zeros, \u escapes in either case, escaped solidus, raw non-ASCII and whitespace between tokens.
 * Keys are unique per object (after unescaping), as the ingest API requires.
 */

const whitespace = fc.constantFrom('', '', ' ', '\n', '\t', '\r\n', '  \n  ');
const padded = (text: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(whitespace, text, whitespace).map(([before, value, after]) => `${before}${value}${after}`);

const digits = (min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const integerPart = fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 40)).map(([first, rest]) => first + rest));
const sign = fc.constantFrom('', '-');

export const bigIntegerText = fc.tuple(sign, fc.constantFrom(...'123456789'), digits(16, 40)).map(([s, first, rest]) => `${s}${first}${rest}`);
export const longDecimalText = fc.tuple(sign, integerPart, digits(15, 40)).map(([s, whole, fraction]) => `${s}${whole}.${fraction}`);
export const exponentText = fc
  .tuple(sign, integerPart, fc.option(digits(1, 20), { nil: undefined }), fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 999 }))
  .map(([s, whole, fraction, e, expSign, exp]) => `${s}${whole}${fraction === undefined ? '' : `.${fraction}`}${e}${expSign}${exp}`);
const numberText = fc.oneof(
  bigIntegerText,
  longDecimalText,
  exponentText,
  fc.constantFrom('1e400', '-1e400', '1E-400', '-0', '0.0', '1.10', '12345678901234567890', '9007199254740993'),
  fc.integer().map(String),
);

const hex4 = (code: number, upper: boolean): string => {
  const hex = code.toString(16).padStart(4, '0');
  return `\\u${upper ? hex.toUpperCase() : hex}`;
};
/** One piece of a string's text: plain, raw non-ASCII, a \u escape (lone surrogates too) or a short escape. */
const stringPiece = fc.oneof(
  fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s).slice(1, -1)),
  fc.constantFrom('é', '😀', '👩‍👩‍👧', '\u2028', '\ufeff', '\ufffe', '\uffff', '中文'),
  fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.boolean()).map(([code, upper]) => hex4(code, upper)),
  fc.constantFrom('\\/', '\\b', '\\f', '\\n', '\\r', '\\t', '\\"', '\\\\'),
);
export const stringText = fc.array(stringPiece, { maxLength: 5 }).map((pieces) => `"${pieces.join('')}"`);

const scalarText = fc.oneof({ weight: 3, arbitrary: numberText }, { weight: 3, arbitrary: stringText }, { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null') });

/** A JSON value as text, nested at most `maxDepth` levels. */
export const jsonText = (maxDepth = 4): fc.Arbitrary<string> =>
  fc.letrec<{ value: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true, maxDepth },
      scalarText,
      fc.array(padded(tie('value')), { maxLength: 5 }).map((items) => `[${items.join(',')}]`),
      fc
        .uniqueArray(fc.tuple(padded(stringText), padded(tie('value'))), {
          maxLength: 5,
          selector: ([key]) => JSON.parse(key) as string,
        })
        .map((members) => `{${members.map(([key, value]) => `${key}:${value}`).join(',')}}`),
    ),
  })).value;

/** The data member of an event, as text without surrounding whitespace (what a receiver gets). */
export const dataText = (maxDepth = 4): fc.Arbitrary<string> => jsonText(maxDepth).map((text) => text.trim());
