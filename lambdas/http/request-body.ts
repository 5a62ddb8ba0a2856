import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { safeParse, type core } from 'zod/mini';
import { HttpError } from '../core/errors';

/** Deeper JSON than this is refused: nothing legitimate needs it, and it costs stack to walk. */
export const MAX_JSON_DEPTH = 32;

export const header = (event: APIGatewayProxyEventV2, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
};

const jsonDepth = (value: unknown): number => {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) max = depth;
    if (max > MAX_JSON_DEPTH) return max;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return max;
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** A UTF-16 surrogate without its pair: text no UTF-8 bytes decode to. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const notUtf8 = () => new HttpError(400, 'invalid_encoding', 'the request body is not valid UTF-8');

/** The body's bytes as text; bytes that are not UTF-8 are refused rather than replaced with U+FFFD. */
const bodyText = (event: APIGatewayProxyEventV2, maxBytes: number): string => {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : undefined;
  if ((bytes?.length ?? Buffer.byteLength(raw)) > maxBytes) {
    throw new HttpError(413, 'payload_too_large', `the request body must be at most ${maxBytes} bytes`);
  }
  if (bytes === undefined) {
    if (LONE_SURROGATE.test(raw)) throw notUtf8();
    return raw;
  }
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw notUtf8();
  }
};

/**
 * Reads a JSON request body as text and as a value: 415 if it is not declared JSON, 413 if too
 * large, 400 if it is not UTF-8, does not parse or nests too deep.
 */
export const readJsonRequest = (event: APIGatewayProxyEventV2, maxBytes: number): { text: string; parsed: unknown } => {
  const contentType = header(event, 'content-type');
  if (contentType === undefined || !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType.trim())) {
    throw new HttpError(415, 'unsupported_media_type', 'the request body must be JSON (content-type: application/json)');
  }
  const text = bodyText(event, maxBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'the request body is not valid JSON');
  }
  if (jsonDepth(parsed) > MAX_JSON_DEPTH) {
    throw new HttpError(400, 'json_too_deep', `the request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return { text, parsed };
};

/** Reads a JSON request body (see readJsonRequest) and checks it against the schema: 422 if it breaks it. */
export const readJsonBody = <T>(event: APIGatewayProxyEventV2, schema: core.$ZodType<T>, maxBytes: number): T =>
  validate(schema, readJsonRequest(event, maxBytes).parsed);

export const validate = <T>(schema: core.$ZodType<T>, value: unknown, what = 'request body'): T => {
  const result = safeParse(schema, value);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  throw new HttpError(422, 'validation_failed', `the ${what} is invalid: ${issues}`);
};
