import fc from 'fast-check';

/**
 * fast-check generators of hostile HTTP input for the fuzz tests of the public API: bodies that
 * are not JSON, not UTF-8, too deep, too large, polluting or ambiguous; odd headers, path
 * segments and query strings. Nothing here ever contains `whsec_`, so a response that does can
 * only be echoing a real secret.
 */

/** Single code units and sequences that tend to break string handling somewhere. */
export const UNICODE_EDGES = [
  '\u0000',
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  '\udc00\ud800', // surrogates in the wrong order
  '\u202e', // right-to-left override
  '\u200f', // right-to-left mark
  '\u200b', // zero width space
  '\ufeff', // byte order mark
  '\ufffe', // noncharacters: valid UTF-16, refused by SQS
  '\uffff',
  '\ufffd',
  '😀',
  '👩‍👩‍👧',
  '\u{10ffff}',
  'e\u0301',
  '\u2028',
  '\u2029',
  '\u007f',
  '\u001b[31m',
  '\r\n',
  '\t',
  'İ',
  'ß',
  '"',
  '\\',
  '%',
  '%00',
  '',
] as const;

const noSecretMarker = (value: string): boolean => !value.toLowerCase().includes('whsec');

/** Strings of every kind: ascii, full unicode, lone surrogates, and the edges above. */
export const hostileString = (maxLength = 40): fc.Arbitrary<string> =>
  fc
    .oneof(
      fc.string({ maxLength }),
      fc.string({ unit: 'binary', maxLength }),
      fc.string({ unit: 'grapheme', maxLength }),
      fc.constantFrom(...UNICODE_EDGES),
      fc
        .array(fc.oneof(fc.constantFrom(...UNICODE_EDGES), fc.string({ maxLength: 4, unit: 'binary' })), { maxLength: 8 })
        .map((parts) => parts.join('')),
    )
    .filter(noSecretMarker);

/** Random bytes read as latin1 (each byte one char), so the wire text is rarely valid JSON. */
export const bytesAsString = (): fc.Arbitrary<string> =>
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')).filter(noSecretMarker);

/** Random bytes decoded as UTF-8 (invalid sequences become U+FFFD). */
export const bytesAsUtf8 = (): fc.Arbitrary<string> =>
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('utf8')).filter(noSecretMarker);

/** JSON values whose strings may hold any code point, kept well under the 32-level depth limit. */
export const hostileJsonValue = (maxDepth = 6): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.jsonValue({ maxDepth, stringUnit: 'binary' }),
    fc.jsonValue({ maxDepth, stringUnit: 'grapheme' }),
    fc.jsonValue({ maxDepth }),
    hostileString(),
  );

/** Raw JSON number tokens, valid and not: 1e400 parses to Infinity, NaN does not parse at all. */
export const NUMBER_TOKENS = [
  '1e400',
  '-1e400',
  '1e-400',
  '-0',
  '0',
  '-0.0',
  '1',
  '10000',
  '10001',
  '1.5',
  '123456789012345678901234567890',
  '9007199254740993',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '01',
  '.5',
  '+1',
  '1e',
] as const;

export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** One member of a JSON object written as text, so duplicate keys and raw tokens survive. */
export type Member = readonly [key: string, valueText: string];

export const objectText = (members: readonly Member[]): string =>
  `{${members.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;

/** A JSON value as text: encoded values, raw number tokens, pollution payloads. */
export const valueText = (values: fc.Arbitrary<unknown> = hostileJsonValue()): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: values.map((value) => JSON.stringify(value) ?? 'null') },
    { weight: 2, arbitrary: fc.constantFrom(...NUMBER_TOKENS) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...PROTOTYPE_KEYS), fc.jsonValue({ maxDepth: 2 }))
        .map(([key, value]) => objectText([[key, JSON.stringify({ polluted: value ?? true, prototype: { polluted: true } })]])),
    },
  );

/** Arrays or objects nested `depth` levels, as text (JSON.stringify would not be needed). */
export const nestedText = (depth: number, kind: 'array' | 'object' | 'mixed', leaf = '1'): string => {
  let text = leaf;
  for (let level = 0; level < depth; level++) {
    const useArray = kind === 'array' || (kind === 'mixed' && level % 2 === 0);
    text = useArray ? `[${text}]` : `{"a":${text}}`;
  }
  return text;
};

/** Depths around the 32-level limit, and far beyond it. */
export const nestingDepth = (): fc.Arbitrary<number> =>
  fc.oneof(fc.integer({ min: 28, max: 40 }), fc.integer({ min: 41, max: 2000 }), fc.constantFrom(10_000, 100_000));

export const deepText = (): fc.Arbitrary<string> =>
  fc.tuple(nestingDepth(), fc.constantFrom('array', 'object', 'mixed') as fc.Arbitrary<'array' | 'object' | 'mixed'>).map(
    ([depth, kind]) => nestedText(depth, kind),
  );

/** Whole bodies that are hostile whatever the route: text, bytes, JSON of any shape, deep nesting. */
export const genericBody = (): fc.Arbitrary<string> =>
  fc.oneof(
    hostileString(200),
    bytesAsString(),
    bytesAsUtf8(),
    fc.json({ maxDepth: 5 }),
    fc.json({ maxDepth: 5, stringUnit: 'binary' }),
    fc.dictionary(hostileString(12), fc.jsonValue({ maxDepth: 4 })).map((value) => JSON.stringify(value)),
    deepText(),
    fc.constantFrom(...NUMBER_TOKENS),
    fc.constantFrom('', ' ', 'null', 'true', '[]', '{}', '""', '{"a":1', '{"a":1}}', '\ufeff{}', '{}\u0000', '{"a":1}garbage'),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), hostileString(8)), valueText()), { maxLength: 5 })
      .map((members) => objectText(members)),
  );

/**
 * A body built from members of the route's own fields: half of the time complete (every `required`
 * field, some optional ones, nothing else), otherwise any subset plus unknown keys and duplicates.
 */
export const fieldBody = (fields: Record<string, fc.Arbitrary<string>>, required: readonly string[] = []): fc.Arbitrary<string> => {
  const names = Object.keys(fields);
  const member = (name: string): fc.Arbitrary<Member> => fields[name]!.map((value) => [name, value] as const);
  const optional = names.filter((name) => !required.includes(name));
  const complete = fc
    .subarray(optional)
    .chain((chosen) => fc.tuple(...[...required, ...chosen].map(member)))
    .map((members) => objectText(members));
  const noisy = fc
    .tuple(
      fc.subarray(names),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), hostileString(8)), valueText()), { maxLength: 2 }),
      fc.array(fc.constantFrom(...names).chain(member), { maxLength: 2 }), // duplicates of known fields
      fc.boolean(),
      fc.boolean(),
    )
    .chain(([chosen, extra, duplicates, withExtra, withDuplicates]) =>
      fc.tuple(...chosen.map(member)).map((members) => [
        ...(withDuplicates ? duplicates : []),
        ...members,
        ...(withExtra ? extra : []),
      ]),
    )
    .map((members) => objectText(members));
  return fc.oneof({ weight: 2, arbitrary: complete }, { weight: 1, arbitrary: noisy });
};

/** Event types that pass validation (never the reserved `webhook.` prefix). */
export const validEventType = (): fc.Arbitrary<string> =>
  fc
    .array(fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), { minLength: 1, maxLength: 5 })
    .map((words) => words.join('.'))
    .filter((type) => type.length <= 128 && !type.startsWith('webhook.'));

export const hostileEventType = (): fc.Arbitrary<string> =>
  fc.oneof(
    hostileString(),
    fc.constantFrom('', '.', 'a.', '.a', 'a..b', 'a.*', '*', 'webhook.x', 'webhook.delivery.exhausted', 'a'.repeat(128), 'a'.repeat(129), 'a b', 'ä'),
  );

/** URLs a subscription may point at; valid ones are only ever stored, never called. */
export const subscriptionUrl = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9/_-]{0,30}$/).map((path) => `https://hooks.example.com/${path}`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'http://hooks.example.com/plain',
        'https://127.0.0.1/',
        'https://[::1]/',
        'https://169.254.169.254/latest/meta-data',
        'https://0x7f.1/',
        'https://user:pw@hooks.example.com/',
        'javascript:alert(1)',
        'ftp://hooks.example.com/',
        'https://',
        '/relative',
        'https://hooks.example.com/\u0000',
        'https://hooks.example.com/\ud800',
        'https://hooks.example.com/😀',
        'https://xn--e1afmkfd.xn--p1ai/',
        `https://hooks.example.com/${'a'.repeat(2100)}`,
        `https://hooks.example.com/${'a'.repeat(2000)}`,
      ),
    },
    { weight: 1, arbitrary: hostileString() },
  );

const headerName = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
    fc.constantFrom('Content-Type', 'webhook-id', 'Host', 'X Bad', '', 'x'.repeat(101), ...PROTOTYPE_KEYS),
    hostileString(10),
  );

const headerValue = (): fc.Arbitrary<string> =>
  fc.oneof(fc.stringMatching(/^[ -~]{0,30}$/), hostileString(20), fc.constant('v'.repeat(1001)));

/** Members for the create and update bodies of a subscription. */
export const subscriptionFields = (): Record<string, fc.Arbitrary<string>> => ({
  url: fc.oneof({ weight: 4, arbitrary: subscriptionUrl().map((url) => JSON.stringify(url)) }, { weight: 1, arbitrary: valueText() }),
  eventTypes: fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.oneof(validEventType(), fc.constantFrom('*', 'order.*')), { minLength: 1, maxLength: 4 }).map((t) => JSON.stringify(t)) },
    { weight: 2, arbitrary: fc.array(fc.oneof(validEventType(), hostileEventType()), { maxLength: 4 }).map((t) => JSON.stringify(t)) },
    { weight: 1, arbitrary: fc.constant(JSON.stringify(Array.from({ length: 101 }, (_, i) => `t${i}`))) },
    { weight: 1, arbitrary: valueText() },
  ),
  filter: fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .constantFrom<unknown>(
          { data: { amount: [{ numeric: ['>', 0, '<=', 5] }] } },
          { type: [{ prefix: 'order.' }], data: { tags: [{ 'anything-but': ['a', 'b'] }], x: [null, true, 1e300] } },
          { $or: [{ data: { a: [{ wildcard: 'a*b' }] } }, { consumerId: [{ exists: false }] }] },
          { data: { a: [{ numeric: ['x', 1] }] } },
          { data: { a: [{ wildcard: 'a**' }] } },
          { data: {} },
          { data: { a: ['x'.repeat(5000)] } },
        )
        .map((filter) => JSON.stringify(filter)),
    },
    { weight: 1, arbitrary: fc.constant('{"data":{"__proto__":["x"],"constructor":{"prototype":[1]}}}') },
    { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('type', 'data', '$or', 'consumerId', '__proto__'), hostileJsonValue(), { minKeys: 1, maxKeys: 3 }).map((filter) => JSON.stringify(filter)) },
    valueText(),
  ),
  description: fc.oneof(
    { weight: 4, arbitrary: hostileString().map((text) => JSON.stringify(text)) },
    fc.constantFrom('null', JSON.stringify('d'.repeat(500)), JSON.stringify('d'.repeat(501))),
    valueText(),
  ),
  headers: fc.oneof(
    { weight: 2, arbitrary: fc.array(fc.tuple(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), fc.stringMatching(/^[ -~]{0,30}$/)), { maxLength: 3 }).map((pairs) => objectText(pairs.map(([n, v]) => [n, JSON.stringify(v)]))) },
    fc.array(fc.tuple(headerName(), headerValue()), { maxLength: 4 }).map((pairs) => objectText(pairs.map(([n, v]) => [n, JSON.stringify(v)]))),
    fc.constant(JSON.stringify(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`x-h${i}`, 'v'])))),
    valueText(),
  ),
  rateLimitPerSecond: fc.oneof(fc.integer({ min: 1, max: 10_000 }).map(String), fc.constantFrom(...NUMBER_TOKENS), fc.constantFrom('null', '"5"', 'true'), valueText()),
  enabled: fc.oneof(fc.constantFrom('true', 'false', 'null', '"true"', '0', '1'), valueText()),
});

/** ISO datetimes the schema accepts (including the odd ones) and strings it must not. */
export const isoDateText = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom(
      '0000-01-01T00:00:00Z',
      '1969-12-31T23:59:59Z',
      '9999-12-31T23:59:59.999Z',
      '2024-02-29T00:00:00+23:59',
      '2024-01-01T00:00:00.1234567891234Z',
      '2024-01-01T00:00:00-00:00',
      '2024-01-01T00:00:00+01',
      '2024-01-01T00:00:00+0100',
      '2023-02-29T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01',
      'now',
      '',
    ),
    hostileString(30),
  );

export const recoverFields = (): Record<string, fc.Arbitrary<string>> => ({
  since: fc.oneof({ weight: 4, arbitrary: isoDateText().map((d) => JSON.stringify(d)) }, { weight: 1, arbitrary: valueText() }),
  until: fc.oneof({ weight: 4, arbitrary: isoDateText().map((d) => JSON.stringify(d)) }, { weight: 1, arbitrary: valueText() }),
});

export const publishFields = (): Record<string, fc.Arbitrary<string>> => ({
  type: fc.oneof(
    { weight: 4, arbitrary: validEventType().map((t) => JSON.stringify(t)) },
    { weight: 2, arbitrary: hostileEventType().map((t) => JSON.stringify(t)) },
    { weight: 1, arbitrary: valueText() },
  ),
  data: fc.oneof({ weight: 3, arbitrary: hostileJsonValue().map((value) => JSON.stringify(value) ?? 'null') }, { weight: 1, arbitrary: valueText() }),
  idempotencyKey: fc.oneof(
    hostileString(60).map((k) => JSON.stringify(k)),
    fc.constantFrom(JSON.stringify('k'.repeat(255)), JSON.stringify('k'.repeat(256)), '""', '1', 'null'),
  ),
});

/** Idempotency-Key header values: empty, 1, 255, 256 and thousands of characters, any content. */
export const idempotencyKeyHeader = (): fc.Arbitrary<string> =>
  fc.oneof(
    hostileString(60),
    fc.integer({ min: 0, max: 300 }).map((n) => 'k'.repeat(n)),
    fc.constantFrom('', ' ', 'k'.repeat(255), 'é'.repeat(255), '😀'.repeat(128), 'k'.repeat(256), 'k'.repeat(10_000), '\u0000', '\r\n'),
  );

/** Content types the API contract calls JSON (undefined: the harness's application/json default for a body). */
export const JSON_CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json;charset=UTF-16',
  'APPLICATION/JSON',
  ' application/json ',
  'application/vnd.api+json',
  'application/merge-patch+json',
] as const;

/** Content types the API must refuse with 415 (null: no content-type header at all). */
export const NOT_JSON_CONTENT_TYPES = [
  null,
  'application/jsonp',
  'application/json-patch',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'text/plain',
  'text/json',
  'multipart/form-data; boundary=----x',
  '*/*',
  '',
] as const;

export const CONTENT_TYPES = [...JSON_CONTENT_TYPES, ...NOT_JSON_CONTENT_TYPES.filter((type) => type !== null)];

export const contentType = (): fc.Arbitrary<string | undefined> =>
  fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: hostileString(30) });

/** Extra request headers that should change nothing. */
export const noiseHeaders = (): fc.Arbitrary<Record<string, string>> =>
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom('x-forwarded-for', 'accept', 'x-amzn-trace-id', 'cookie', 'content-length', 'transfer-encoding'), fc.stringMatching(/^x-[a-z]{1,8}$/)),
        hostileString(30),
      ),
      { maxLength: 3 },
    )
    .map((pairs) => Object.fromEntries(pairs));

/** Percent-encodes every UTF-8 byte of a string (lone surrogates become U+FFFD first). */
export const percentEncodeAll = (text: string): string =>
  [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');

/** Path segments: percent garbage, NUL, traversal, unicode, very long ids, raw random bytes. */
export const hostileSegment = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(
      '%ZZ',
      '%',
      '%0',
      '%00',
      'sub_%00',
      '%2F',
      '%252F',
      '..',
      '.',
      '%2e%2e',
      '..%2F..%2Fhealth',
      '../../health',
      '..\\..\\health',
      '%C0%AF',
      '%ED%A0%80',
      '%FF',
      '%E2%80%AE',
      '😀',
      '\u202e',
      '\ud800',
      ' ',
      '%20',
      '+',
      ';',
      'evt_01ARZ3NDEKTSV4RRFFQ69G5FAV',
      'sub_01ARZ3NDEKTSV4RRFFQ69G5FAV',
      'key_01ARZ3NDEKTSV4RRFFQ69G5FAV',
      'sub_' + 'Z'.repeat(26),
    ),
    fc.constantFrom(1024, 1025, 2048, 2049, 5000, 20_000).chain((n) =>
      fc.constantFrom('a'.repeat(n), `sub_${'A'.repeat(n)}`, `evt_${'A'.repeat(n)}`, 'é'.repeat(Math.ceil(n / 2)), '%C3%A9'.repeat(Math.ceil(n / 2))),
    ),
    fc.uint8Array({ minLength: 1, maxLength: 20 }).map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
    hostileString(20)
      .filter((s) => s.length > 0)
      .map((s) => percentEncodeAll(s)),
    fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@-]{1,40}$/),
  );

const queryValue = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom('0', '1', '50', '100', '101', '-1', '1e2', '1.5', 'NaN', 'Infinity', '0x10', ' 5', '', '9'.repeat(400), 'true'),
    fc.constantFrom('pending', 'delivered', 'retrying', 'exhausted', 'skipped', 'PENDING', 'pending,delivered'),
    isoDateText(),
    // Cursors: well-formed for the charset but from anywhere in (or outside) the key space.
    fc
      .oneof(
        fc.constantFrom('evt_0', 'evt_ZZZZZZZZZZZZZZZZZZZZZZZZZZ', 'zzz', 'a', 'sub_01ARZ3NDEKTSV4RRFFQ69G5FAV', 'acme#x', '#', 'A'.repeat(200), 'A'.repeat(201)),
        fc.stringMatching(/^[A-Za-z0-9_#-]{1,40}$/),
        hostileString(20),
      )
      .map((value) => Buffer.from(value, 'utf8').toString('base64url')),
    fc.constantFrom('!!!', '%ZZ', '%00', '====', 'x'.repeat(2049)),
    hostileString(20).map((value) => encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '?'))),
  );

/** Query strings a client would plausibly send: each parameter once, mostly well-formed values. */
export const plausibleQueryString = (): fc.Arbitrary<string> =>
  fc
    .record(
      {
        limit: fc.oneof(fc.integer({ min: 1, max: 100 }).map(String), fc.constantFrom('0', '101', 'x')),
        // Cursors with the right charset that point anywhere in the key space, or outside it.
        cursor: fc
          .oneof(
            fc.constantFrom('evt_0', 'evt_ZZZZZZZZZZZZZZZZZZZZZZZZZZ', 'evt_01ARZ3NDEKTSV4RRFFQ69G5FAV', 'zzz', 'a', '-', 'sub_01ARZ3NDEKTSV4RRFFQ69G5FAV', 'acme#x', 'A'.repeat(200)),
            fc.stringMatching(/^[A-Za-z0-9_#-]{1,40}$/),
          )
          .map((value) => Buffer.from(value, 'utf8').toString('base64url')),
        status: fc.constantFrom('pending', 'delivered', 'retrying', 'exhausted', 'skipped'),
        since: isoDateText(),
        until: isoDateText(),
      },
      { requiredKeys: [] },
    )
    .map((params) => {
      const pairs = Object.entries(params).map(([key, value]) => `${key}=${encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '?'))}`);
      return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
    });

/** Query strings, raw: `limit`, `cursor`, `status`, `since`, `until` and strangers, repeated or not. */
export const queryString = (): fc.Arbitrary<string> =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom('limit', 'cursor', 'status', 'since', 'until') },
          { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS, 'hasOwnProperty', '', 'LIMIT', 'limit[]') },
          { weight: 1, arbitrary: fc.stringMatching(/^[a-z]{1,8}$/) },
        ),
        queryValue(),
        fc.constantFrom('=', '=', '=', '', '=='),
      ),
      { maxLength: 4 },
    )
    .chain((pairs) =>
      fc.constantFrom('', '&', '&&').map((tail) => {
        const text = pairs.map(([key, value, sep]) => `${key}${sep}${sep === '' ? '' : value}`).join('&') + tail;
        return text === '' ? '' : `?${text}`;
      }),
    );

/** HTTP methods, real and invented. */
export const method = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') },
    { weight: 1, arbitrary: fc.constantFrom('TRACE', 'CONNECT', 'PROPFIND', 'get', 'Post') },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z]{1,10}$/) },
  );

/**
 * Bodies the schemas accept, with hostile but legal content: any unicode in descriptions and
 * event data, odd header values, limits at their edges. They reach the stores and the queue.
 */
export const validSubscriptionBody = (): fc.Arbitrary<string> =>
  fc
    .record(
      {
        url: fc.stringMatching(/^[a-z0-9/_.-]{0,40}$/).map((path) => `https://hooks.example.com/${path}`),
        eventTypes: fc.array(fc.oneof(validEventType(), validEventType().map((type) => `${type}.*`), fc.constant('*')), { minLength: 1, maxLength: 5 }),
        description: fc.oneof(hostileString(100), fc.constant('d'.repeat(500))),
        headers: fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), fc.stringMatching(/^[\t\x20-\x7e\x80-\xff]{0,40}$/), { maxKeys: 5 }),
        rateLimitPerSecond: fc.oneof(fc.constantFrom(1, 10_000), fc.integer({ min: 1, max: 10_000 })),
      },
      { requiredKeys: ['url', 'eventTypes'] },
    )
    .map((body) => JSON.stringify(body));

export const validPublishBody = (): fc.Arbitrary<string> =>
  fc
    .record(
      {
        type: validEventType(),
        data: hostileJsonValue(),
        idempotencyKey: hostileString(60).filter((key) => key.length >= 1),
      },
      { requiredKeys: ['type', 'data'] },
    )
    .map((body) => JSON.stringify(body));

export const validUpdateBody = (): fc.Arbitrary<string> =>
  fc
    .record(
      {
        url: fc.stringMatching(/^[a-z0-9/_.-]{0,40}$/).map((path) => `https://hooks.example.com/${path}`),
        eventTypes: fc.array(fc.oneof(validEventType(), fc.constant('*')), { minLength: 1, maxLength: 3 }),
        description: fc.oneof(hostileString(100), fc.constant(null)),
        headers: fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), fc.stringMatching(/^[ -~]{0,20}$/), { maxKeys: 3 }),
        rateLimitPerSecond: fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.constant(null)),
        enabled: fc.boolean(),
      },
      { requiredKeys: [] },
    )
    .filter((body) => Object.keys(body).length > 0)
    .map((body) => JSON.stringify(body));

export const validRecoverBody = (): fc.Arbitrary<string> =>
  fc
    .tuple(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date(Date.now() + 366 * 24 * 3600 * 1000), noInvalidDate: true }), fc.option(fc.integer({ min: 1, max: 10 ** 10 }), { nil: undefined }))
    .map(([since, span]) => JSON.stringify({ since: since.toISOString(), ...(span === undefined ? {} : { until: new Date(since.getTime() + span).toISOString() }) }));
