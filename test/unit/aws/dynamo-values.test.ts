import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromAttributeMap, toAttributeMap } from '../../../lambdas/aws/dynamo-values';

/** The values the stores keep: JSON-like, with bytes and undefined fields. */
const storedValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.double({ noNaN: true, min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }).filter((n) => !Object.is(n, -0)),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.uint8Array({ minLength: 1, maxLength: 20 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;
const storedItem = fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), storedValue, { maxKeys: 6 });

describe('Module: dynamo-values, held to the AWS SDK marshaller', () => {
  it('writes what the SDK writes (undefined left out) and reads back what the SDK reads', () => {
    fc.assert(
      fc.property(storedItem, (item) => {
        const ours = toAttributeMap(item);
        expect(ours).toEqual(marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: false }));
        expect(fromAttributeMap(ours)).toEqual(unmarshall(ours));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what DynamoDB or a JavaScript number cannot hold', () => {
    expect(() => toAttributeMap({ n: Number.NaN })).toThrow(TypeError);
    expect(() => toAttributeMap({ n: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => toAttributeMap({ d: new Date() })).toThrow(TypeError);
    expect(() => toAttributeMap({ n: 2 ** 53 })).toThrow(RangeError);
    expect(() => marshall({ n: 2 ** 53 })).toThrow();
    expect(() => fromAttributeMap({ n: { N: '123456789012345678901234' } })).toThrow(RangeError);
    expect(fromAttributeMap({ n: { N: '1.5e-7' }, s: { S: '' } })).toEqual({ n: 1.5e-7, s: '' });
  });
});
