import type { MiddlewareObj } from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { HttpError, InvalidCursorError } from '../core/errors';
import type { Authenticator, Principal } from './authenticator';
import { header } from './request-body';
import { errorResult, type HttpResult } from './responses';

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
      request.response = errorResult(error.statusCode, error.code, error.message, error.headers);
    } else if (error instanceof InvalidCursorError) {
      request.response = errorResult(400, 'invalid_cursor', 'the cursor is not one this API handed out');
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
