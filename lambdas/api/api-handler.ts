import { HttpError } from '../core/errors';
import { httpHandler, type HttpChain } from '../http/middleware';
import { json, jsonText, type HttpResult } from '../http/responses';
import { Router, routesOf, type RouteHandlers } from '../http/router';
import { consumerRoutes, type ConsumerRouteDeps } from './consumer-routes';
import { eventRoutes, type EventRouteDeps } from './event-routes';
import { openApiJson } from './openapi-document';
import { subscriptionRoutes, type SubscriptionRouteDeps } from './subscription-routes';
import { transformRoutes } from './transform-routes';

/** What the API function works with; the production set is built from the environment in handler.ts. */
export interface ApiHandlerDeps {
  routes: SubscriptionRouteDeps & EventRouteDeps & ConsumerRouteDeps;
  http: Omit<HttpChain, 'outermost' | 'isPublic'>;
}

const publishedElsewhere = async (): Promise<HttpResult> => {
  // POST /v1/events has its own integration; reaching it here means the route table is off.
  throw new HttpError(404, 'not_found', 'events are published through POST /v1/events');
};

/** Every route of the HTTP API but publishing. */
export const createApiHandler = (deps: ApiHandlerDeps) => {
  const router = new Router(
    routesOf({
      getHealth: async () => json(200, { status: 'ok' }),
      getOpenApiDocument: async () => jsonText(200, openApiJson()),
      publishEvent: publishedElsewhere,
      ...subscriptionRoutes(deps.routes),
      ...eventRoutes(deps.routes),
      ...transformRoutes(deps.routes),
      ...consumerRoutes(deps.routes),
    } satisfies RouteHandlers),
  );
  return httpHandler({ ...deps.http, isPublic: (event) => router.isPublic(event) }, (event, context) => router.handle(event, context));
};
