import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError } from '../core/errors';
import type { RateLimiter } from '../core/rate-limit';
import type { AuthenticatedContext } from './middleware';
import type { HttpResult } from './responses';

/**
 * A per-tenant request rate for the HTTP functions, shared by every instance through the rate
 * limiter's counters, answered in the API's own error shape. API Gateway's stage throttle covers all
 * tenants together; this keeps one tenant from taking the whole of it. Runs after authentication.
 */
export const tenantThrottle = (
  limiter: RateLimiter,
  limitPerSecond: number,
  now: () => number = Date.now,
): MiddlewareObj<APIGatewayProxyEventV2, HttpResult, Error, AuthenticatedContext> => ({
  before: async (request) => {
    const principal = request.context.principal;
    if (principal === undefined) return;
    const decision = await limiter.acquire(principal.tenantId, 'api', limitPerSecond, now());
    if (!decision.allowed) {
      throw new HttpError(429, 'throttled', `more than ${limitPerSecond} requests per second for this tenant; retry later`, {
        'retry-after': String(decision.retryInSeconds),
      });
    }
  },
});

/**
 * The handlers' middleware list for the stack's per-tenant limit: empty when it sets none (middy
 * refuses an empty middleware object), so only a limited stack builds the limiter and pays its writes.
 */
export const tenantThrottles = (limitPerSecond: number, limiter: () => RateLimiter) =>
  limitPerSecond > 0 ? [tenantThrottle(limiter(), limitPerSecond)] : [];
