import middy, { type MiddlewareObj } from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { HttpError, InvalidCursorError, TransactionsUnavailableError } from '../core/errors';
import type { RateLimiter } from '../core/rate-limit';
import type { Authenticator, Principal } from './authenticator';
import { header } from './request-body';
import { errorResult, type HttpResult } from './responses';
import { tenantThrottles } from './tenant-throttle';

export interface AuthenticatedContext extends Context {
  principal?: Principal;
}

/**
 * The one authentication middleware of both HTTP functions. Routes that are public by design
 * (`/health`, the OpenAPI document) are named by `isPublic`; everything else needs a valid key.
 */
export const authentication = (
  authenticator: Authenticator,
  isPublic: (event: APIGatewayProxyEventV2) => boolean = () => false,
): MiddlewareObj<APIGatewayProxyEventV2, HttpResult, Error, AuthenticatedContext> => ({
  before: async (request) => {
    if (isPublic(request.event)) return;
    request.context.principal = await authenticator.authenticate(header(request.event, 'authorization'));
  },
});

/**
 * Maps errors to the public error shape. Client mistakes carry their own status; anything else is
 * logged with its stack and answered with a 500 that reveals nothing.
 */
export const httpErrors = (
  logger: Logger,
): MiddlewareObj<APIGatewayProxyEventV2, HttpResult, Error, AuthenticatedContext> => ({
  onError: async (request) => {
    const error = request.error;
    if (error instanceof HttpError) {
      request.response = errorResult(error.statusCode, error.code, error.message, error.headers, error.details);
    } else if (error instanceof InvalidCursorError) {
      request.response = errorResult(400, 'invalid_cursor', 'the cursor is not one this API handed out');
    } else if (error instanceof TransactionsUnavailableError) {
      request.response = errorResult(501, 'transactions_unavailable', error.message);
    } else {
      logger.error('unhandled error', { error });
      request.response = errorResult(500, 'internal_error', 'something went wrong on our side; please retry');
    }
  },
});

export const principalOf = (context: AuthenticatedContext): Principal => {
  if (context.principal === undefined) throw new HttpError(401, 'unauthorized', 'authentication is required');
  return context.principal;
};

export type HttpMiddleware = MiddlewareObj<APIGatewayProxyEventV2, HttpResult, Error, AuthenticatedContext>;

export interface HttpChain {
  logger: Logger;
  authenticator: Authenticator;
  /** Routes that need no key; none unless given. */
  isPublic?: (event: APIGatewayProxyEventV2) => boolean;
  /** The stack's per-tenant request rate (0: none), and the limiter that counts it, built only when there is one. */
  tenantRateLimit: number;
  tenantLimiter: () => RateLimiter;
  /** Middlewares around all of the chain (the function's metrics). */
  outermost?: HttpMiddleware[];
}

/**
 * The one middleware chain of both HTTP functions: errors mapped to the public error shape, then
 * authentication, then the per-tenant limit, then `handle`.
 */
export const httpHandler = (
  chain: HttpChain,
  handle: (event: APIGatewayProxyEventV2, context: AuthenticatedContext) => Promise<HttpResult>,
) =>
  middy<APIGatewayProxyEventV2, HttpResult, Error, AuthenticatedContext>()
    .use(chain.outermost ?? [])
    .use(httpErrors(chain.logger))
    .use(authentication(chain.authenticator, chain.isPublic))
    .use(tenantThrottles(chain.tenantRateLimit, chain.tenantLimiter))
    .handler(handle);
