import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { AuthenticatedContext } from '../../lambdas/http/middleware';

/** An HTTP API (payload 2.0) event with only what the code under test reads filled in. */
export const apiEvent = (
  overrides: { method?: string; path?: string; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean } = {},
): APIGatewayProxyEventV2 => {
  const method = overrides.method ?? 'GET';
  const path = overrides.path ?? '/';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: overrides.headers ?? {},
    isBase64Encoded: overrides.isBase64Encoded ?? false,
    ...(overrides.body === undefined ? {} : { body: overrides.body }),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'test' },
      requestId: 'request-1',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1767225600000,
    },
  };
};

export const jsonEvent = (body: string, contentType = 'application/json'): APIGatewayProxyEventV2 =>
  apiEvent({ method: 'POST', path: '/v1/events', headers: { 'content-type': contentType }, body });

export const lambdaContext = (): AuthenticatedContext => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
  memoryLimitInMB: '128',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/test',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});
