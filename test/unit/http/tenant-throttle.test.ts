import type { Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AuthenticatedContext } from '../../../lambdas/http/middleware';
import type { HttpResult } from '../../../lambdas/http/responses';
import { tenantThrottle } from '../../../lambdas/http/tenant-throttle';
import { apiEvent, lambdaContext } from '../../kit/lambda-events';
import { rejectionOf } from '../../kit/expectations';
import { InMemoryRateLimiter } from '../../kit/fakes';

const NOW = Date.parse('2026-03-01T12:00:00.500Z');

const requestOf = (tenantId: string | undefined): Request<APIGatewayProxyEventV2, HttpResult, Error, AuthenticatedContext> => ({
  event: apiEvent({ method: 'GET', path: '/v1/subscriptions' }),
  context: { ...lambdaContext(), ...(tenantId === undefined ? {} : { principal: { tenantId, keyId: 'key_1', scopes: ['read'] } }) },
  response: null,
  error: null,
  internal: {},
});

describe('Middleware: tenantThrottle', () => {
  it('lets a tenant through up to its limit per second, then answers 429 throttled with Retry-After', async () => {
    // Prepare
    const throttle = tenantThrottle(new InMemoryRateLimiter(() => NOW), 2, () => NOW);
    const before = throttle.before!;

    // Act
    await before(requestOf('acme'));
    await before(requestOf('acme'));
    const error = await rejectionOf(Promise.resolve(before(requestOf('acme'))));

    // Assess
    expect(error).toMatchObject({ statusCode: 429, code: 'throttled' });
    expect(Number(error.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('counts each tenant on its own', async () => {
    // Prepare
    const throttle = tenantThrottle(new InMemoryRateLimiter(() => NOW), 1, () => NOW);
    const before = throttle.before!;
    await before(requestOf('acme'));

    // Act
    const other = before(requestOf('globex'));

    // Assess
    await expect(other).resolves.toBeUndefined();
  });

  it('leaves unauthenticated public routes alone', async () => {
    // Prepare
    const throttle = tenantThrottle(new InMemoryRateLimiter(() => NOW), 1, () => NOW);

    // Act
    const results = [await throttle.before!(requestOf(undefined)), await throttle.before!(requestOf(undefined))];

    // Assess
    expect(results).toEqual([undefined, undefined]);
  });
});
