import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorBody } from '../core/errors';

export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number };

const JSON_HEADERS = { 'content-type': 'application/json' };

/** An answer whose body is JSON text already. */
export const jsonText = (statusCode: number, text: string, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { ...JSON_HEADERS, ...headers },
  body: text,
});

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult =>
  jsonText(statusCode, JSON.stringify(body), headers);

export const noContent = (): HttpResult => ({ statusCode: 204, headers: {}, body: '' });

export const errorResult = (
  statusCode: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  details: Record<string, string> = {},
): HttpResult => ({ statusCode, headers: { ...JSON_HEADERS, ...headers }, body: errorBody(code, message, details) });
