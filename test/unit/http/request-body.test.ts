import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { publishEventRequestSchema } from '../../../lambdas/contract/request-schemas';
import { HttpError } from '../../../lambdas/core/errors';
import { header, MAX_JSON_DEPTH, readJsonBody, readJsonRequest } from '../../../lambdas/http/request-body';
import { apiEvent, jsonEvent } from '../../kit/lambda-events';

const LIMIT = 1024;
const anything = z.unknown();

/** Runs `act` and gives back the HttpError it threw. */
const httpErrorOf = (act: () => unknown): HttpError => {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    return error as HttpError;
  }
  throw new Error('expected an HttpError, but nothing was thrown');
};

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('Function: readJsonBody', () => {
  it('parses a JSON body against the schema', () => {
    // Prepare
    const event = jsonEvent('{"type":"order.created","data":{"id":1}}');

    // Act
    const body = readJsonBody(event, publishEventRequestSchema, LIMIT);

    // Assess
    expect(body).toEqual({ type: 'order.created', data: { id: 1 } });
  });

  it.each(['application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8', 'application/vnd.api+json'])(
    'accepts the content type %j',
    (contentType) => {
      expect(readJsonBody(jsonEvent('{"a":1}', contentType), anything, LIMIT)).toEqual({ a: 1 });
    },
  );

  it('finds the content-type header whatever its case', () => {
    // Prepare
    const event = apiEvent({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '1' });

    // Act & Assess
    expect(readJsonBody(event, anything, LIMIT)).toBe(1);
  });

  it('answers 415 without a content type', () => {
    // Prepare
    const event = apiEvent({ method: 'POST', body: '{}' });

    // Act
    const error = httpErrorOf(() => readJsonBody(event, anything, LIMIT));

    // Assess
    expect(error.statusCode).toBe(415);
    expect(error.code).toBe('unsupported_media_type');
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp', 'multipart/form-data', 'json'])(
    'answers 415 for the content type %j',
    (contentType) => {
      // Act
      const error = httpErrorOf(() => readJsonBody(jsonEvent('{}', contentType), anything, LIMIT));

      // Assess
      expect(error.statusCode).toBe(415);
      expect(error.code).toBe('unsupported_media_type');
    },
  );

  it('answers 413 for a body over the limit and accepts one at the limit', () => {
    // Prepare
    const atLimit = JSON.stringify('x'.repeat(LIMIT - 2));
    const overLimit = JSON.stringify('x'.repeat(LIMIT - 1));

    // Act
    const error = httpErrorOf(() => readJsonBody(jsonEvent(overLimit), anything, LIMIT));

    // Assess
    expect(readJsonBody(jsonEvent(atLimit), anything, LIMIT)).toHaveLength(LIMIT - 2);
    expect(error.statusCode).toBe(413);
    expect(error.code).toBe('payload_too_large');
  });

  it('counts the limit in bytes, not characters', () => {
    // Prepare: 'é' is two bytes
    const body = JSON.stringify('é'.repeat(LIMIT / 2));

    // Act & Assess
    expect(httpErrorOf(() => readJsonBody(jsonEvent(body), anything, LIMIT)).statusCode).toBe(413);
  });

  it.each(['{', '', 'undefined', "{'a':1}", '{"a":1,}', 'NaN'])('answers 400 for the invalid JSON %j', (body) => {
    // Act
    const error = httpErrorOf(() => readJsonBody(jsonEvent(body), anything, LIMIT));

    // Assess
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('invalid_json');
  });

  it('answers 400 when the body is missing', () => {
    // Prepare
    const event = apiEvent({ method: 'POST', headers: { 'content-type': 'application/json' } });

    // Act & Assess
    expect(httpErrorOf(() => readJsonBody(event, anything, LIMIT)).statusCode).toBe(400);
  });

  it(`accepts JSON nested ${MAX_JSON_DEPTH} levels and answers 400 one level deeper`, () => {
    // Act
    const error = httpErrorOf(() => readJsonBody(jsonEvent(nested(MAX_JSON_DEPTH + 1)), anything, LIMIT));

    // Assess
    expect(() => readJsonBody(jsonEvent(nested(MAX_JSON_DEPTH)), anything, LIMIT)).not.toThrow();
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('json_too_deep');
  });

  it('answers 400, not a crash, for very deep JSON within the size limit', () => {
    // Prepare
    const body = `{"a":${nested(50_000)}}`;

    // Act
    const error = httpErrorOf(() => readJsonBody(jsonEvent(body), anything, 1024 * 1024));

    // Assess
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('json_too_deep');
  });

  it('answers 422 naming the field for valid JSON that breaks the schema', () => {
    // Prepare
    const event = jsonEvent('{"type":"order..created","data":1}');

    // Act
    const error = httpErrorOf(() => readJsonBody(event, publishEventRequestSchema, LIMIT));

    // Assess
    expect(error.statusCode).toBe(422);
    expect(error.code).toBe('validation_failed');
    expect(error.message).toContain('type');
  });

  it('decodes a base64 body before reading it', () => {
    // Prepare
    const event = apiEvent({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"type":"a","data":"é"}').toString('base64'),
      isBase64Encoded: true,
    });

    // Act
    const body = readJsonBody(event, publishEventRequestSchema, LIMIT);

    // Assess
    expect(body).toEqual({ type: 'a', data: 'é' });
  });

  it('applies the size limit to the decoded base64 body', () => {
    // Prepare: the encoded form is over the limit, the decoded one is not
    const text = JSON.stringify('x'.repeat(LIMIT - 100));
    const event = apiEvent({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(text).toString('base64'),
      isBase64Encoded: true,
    });

    // Act & Assess
    expect(readJsonBody(event, anything, LIMIT)).toHaveLength(LIMIT - 100);
  });

  it.each([
    ['a lone continuation byte', [0x80]],
    ['a truncated sequence', [0xc3]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a byte that never occurs', [0xff]],
  ])('answers 400 invalid_encoding for a body holding %s, rather than reading U+FFFD', (_label, bytes) => {
    // Prepare: API Gateway hands such bytes over base64-encoded
    const body = Buffer.concat([Buffer.from('{"type":"a","data":"'), Buffer.from(bytes), Buffer.from('"}')]);
    const event = apiEvent({ method: 'POST', headers: { 'content-type': 'application/json' }, body: body.toString('base64'), isBase64Encoded: true });

    // Act
    const error = httpErrorOf(() => readJsonBody(event, anything, LIMIT));

    // Assess
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('invalid_encoding');
  });

  it('answers 400 invalid_encoding for a text body holding a lone surrogate, which no UTF-8 decodes to', () => {
    // Act
    const error = httpErrorOf(() => readJsonBody(jsonEvent('{"type":"a","data":"\ud800"}'), anything, LIMIT));

    // Assess
    expect(error.code).toBe('invalid_encoding');
  });

  it('keeps a byte order mark and the escapes of a valid body: the text is not altered', () => {
    // Prepare
    const text = '{"data":"\\ud800\\u00e9😀"}';
    const withMark = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    const event = (body: Buffer) => apiEvent({ method: 'POST', headers: { 'content-type': 'application/json' }, body: body.toString('base64'), isBase64Encoded: true });

    // Act & Assess
    expect(readJsonRequest(event(Buffer.from(text)), LIMIT).text).toBe(text);
    expect(httpErrorOf(() => readJsonRequest(event(withMark), LIMIT)).code).toBe('invalid_json');
  });
});

describe('Function: header', () => {
  it('reads a header case-insensitively and gives undefined when absent', () => {
    // Prepare
    const event = apiEvent({ headers: { 'Idempotency-Key': 'k1' } });

    // Act & Assess
    expect(header(event, 'idempotency-key')).toBe('k1');
    expect(header(event, 'IDEMPOTENCY-KEY')).toBe('k1');
    expect(header(event, 'authorization')).toBeUndefined();
  });
});
