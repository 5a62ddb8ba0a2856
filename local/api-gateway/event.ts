import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface HttpRequestShape {
  method: string;
  /** Path and query string, as received, e.g. `/v1/subscriptions?limit=5`. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body?: Buffer;
  sourceIp?: string;
}

const isTextual = (contentType: string | undefined): boolean =>
  contentType === undefined || /^(text\/|application\/([\w.+-]+\+)?(json|xml|x-www-form-urlencoded))/i.test(contentType);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** The body as text, or undefined when its bytes are not UTF-8 (decoding would replace them with U+FFFD). */
const utf8Text = (body: Buffer): string | undefined => {
  try {
    return strictUtf8.decode(body);
  } catch {
    return undefined;
  }
};

/**
 * The API Gateway HTTP API (payload format 2.0) event for a request: headers lower-cased and
 * comma-joined, repeated query parameters comma-joined, binary bodies base64-encoded. A textual
 * body that is not UTF-8 is passed base64-encoded too, its bytes as sent, so the function can
 * refuse it instead of reading replacement characters.
 */
export const apiGatewayEvent = (request: HttpRequestShape, routeKey = '$default'): APIGatewayProxyEventV2 => {
  const url = new URL(request.url, 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const queryStringParameters: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) queryStringParameters[key] = url.searchParams.getAll(key).join(',');
  const body = request.body === undefined || request.body.length === 0 ? undefined : request.body;
  const text = body !== undefined && isTextual(headers['content-type']) ? utf8Text(body) : undefined;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: request.method.toUpperCase(),
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body === undefined
      ? { isBase64Encoded: false }
      : text !== undefined
        ? { body: text, isBase64Encoded: false }
        : { body: body.toString('base64'), isBase64Encoded: true }),
  };
};
