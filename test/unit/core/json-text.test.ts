import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJsonText, DuplicateJsonKeyError, memberText, readJsonStructure } from '../../../lambdas/core/json-text';
import { dataText, jsonText } from '../../support/json-texts';

const dataOf = (body: string): string | undefined => memberText(body, readJsonStructure(body), 'data');

describe('Function: memberText', () => {
  it.each([
    ['a big integer', '12345678901234567890'],
    ['an exponent past the double range', '1e400'],
    ['a long decimal', '0.100000000000000000000000000001'],
    ['trailing zeros', '1.10'],
    ['negative zero', '-0'],
    ['unicode escapes in either case', '"\\u00e9\\u00E9\\ud83d\\ude00\\ud800"'],
    ['an escaped solidus', '"a\\/b"'],
    ['an object with whitespace inside', '{ "a" : [ 1 ,\n 2 ] }'],
    ['null', 'null'],
  ])('gives the data of %s exactly as written', (_label, data) => {
    // Act & Assess
    expect(dataOf(`{"type":"t", "data" :\n ${data}\t}`)).toBe(data);
  });

  it('finds the top-level member, not a nested one of the same name', () => {
    // Act & Assess
    expect(dataOf('{"type":{"data":1},"data":2}')).toBe('2');
    expect(dataOf('{"type":"t"}')).toBeUndefined();
    expect(dataOf('[{"data":1}]')).toBeUndefined();
  });

  it('finds every generated data text exactly as it was written into a body', () => {
    fc.assert(
      fc.property(jsonText(), fc.constantFrom('', ' ', '\n\t'), (text, space) => {
        // Prepare
        const data = text.trim();
        const body = `{${space}"type"${space}:${space}"t",${space}"data"${space}:${text}${space}}`;

        // Act & Assess
        expect(dataOf(body)).toBe(data);
      }),
    );
  });
});

describe('Function: readJsonStructure', () => {
  it.each([
    ['at the top level', '{"type":"a","type":"b"}', 'type', ''],
    ['inside data', '{"data":{"a":1,"b":2,"a":3}}', 'a', 'data'],
    ['deep in arrays', '{"data":{"items":[{"id":1},{"id":2,"id":3}]}}', 'id', 'data.items[1]'],
    ['spelled differently but equal once unescaped', '{"data":{"a":1,"\\u0061":2}}', 'a', 'data'],
  ])('refuses a key repeated %s, naming the key and where', (_label, body, key, path) => {
    // Act
    const read = () => readJsonStructure(body);

    // Assess
    expect(read).toThrow(DuplicateJsonKeyError);
    expect(read).toThrow(expect.objectContaining({ key, path }));
  });

  it('accepts the same key in different objects', () => {
    // Act & Assess
    expect(() => readJsonStructure('{"data":{"a":{"a":1},"b":[{"a":1},{"a":2}]}}')).not.toThrow();
  });

  it('reads the span of the whole text as one value', () => {
    fc.assert(
      fc.property(dataText(), (text) => {
        // Act
        const node = readJsonStructure(text);

        // Assess
        expect([node.start, node.end]).toEqual([0, text.length]);
      }),
    );
  });
});

describe('Function: canonicalJsonText', () => {
  it('sorts keys and drops whitespace but keeps every number and string as written', () => {
    // Act & Assess
    expect(canonicalJsonText('{ "b" : [ 1.10 , 1e400 ], "a": "\\u00e9" }')).toBe('{"a":"\\u00e9","b":[1.10,1e400]}');
  });

  it('is the same for texts that differ only in key order and whitespace, and stands for the same value', () => {
    fc.assert(
      fc.property(dataText(), (text) => {
        // Prepare: the members of the top level reversed, with whitespace around them
        const node = readJsonStructure(text);
        const reordered =
          node.kind === 'object'
            ? `{ ${[...node.members].reverse().map((m) => `${JSON.stringify(m.key)} : ${text.slice(m.value.start, m.value.end)}`).join(' ,\n')} }`
            : ` ${text} `;

        // Act
        const canonical = canonicalJsonText(text);

        // Assess
        expect(canonicalJsonText(reordered)).toBe(canonical);
        expect(JSON.parse(canonical)).toEqual(JSON.parse(text));
      }),
    );
  });

  it('tells apart numbers that a double cannot', () => {
    // Act & Assess
    expect(canonicalJsonText('12345678901234567890')).not.toBe(canonicalJsonText('12345678901234567891'));
  });
});
