import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ROUTES, type OperationId, type RouteSpec } from '../contract/routes';
import { HttpError } from '../core/errors';
import type { AuthenticatedContext } from './middleware';
import type { HttpResult } from './responses';

export interface RouteRequest {
  event: APIGatewayProxyEventV2;
  context: AuthenticatedContext;
  params: Record<string, string>;
}

export type RouteHandler = (request: RouteRequest) => Promise<HttpResult>;

export interface Route {
  method: string;
  /** A path with `{name}` segments, e.g. `/v1/subscriptions/{id}`. */
  path: string;
  handler: RouteHandler;
  public?: boolean;
}

/** The handler of each route of the public API, by operation id (lambdas/contract/routes.ts). */
export type RouteHandlers = Record<OperationId, RouteHandler>;

/**
 * The routes of the handlers given, with the method and path of the API's route table; a route
 * without a scope there is public.
 */
export const routesOf = (handlers: Partial<RouteHandlers>): Route[] =>
  (Object.entries(ROUTES) as Array<[OperationId, RouteSpec]>).flatMap(([operationId, { method, path, scope }]) => {
    const handler = handlers[operationId];
    return handler === undefined ? [] : [{ method, path, handler, ...(scope === undefined ? { public: true } : {}) }];
  });

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

const compile = (route: Route): CompiledRoute => {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param === null) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(param[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}/?$`), names };
};

/**
 * Routes by method and path inside the function, answering unknown paths with 404 and known paths
 * with the wrong method with 405 and an `Allow` header, all in the public error shape.
 */
export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.routes = routes.map(compile);
  }

  private matches(path: string) {
    return this.routes.flatMap((route) => {
      const match = route.pattern.exec(path);
      if (match === null) return [];
      try {
        const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
        return [{ route, params }];
      } catch {
        return [];
      }
    });
  }

  isPublic(event: APIGatewayProxyEventV2): boolean {
    const method = event.requestContext.http.method.toUpperCase();
    return this.matches(event.rawPath).some(({ route }) => route.method === method && route.public === true);
  }

  async handle(event: APIGatewayProxyEventV2, context: AuthenticatedContext): Promise<HttpResult> {
    const method = event.requestContext.http.method.toUpperCase();
    const candidates = this.matches(event.rawPath);
    if (candidates.length === 0) throw new HttpError(404, 'not_found', `no route for ${event.rawPath}`);
    const chosen = candidates.find(({ route }) => route.method === method);
    if (chosen === undefined) {
      const allowed = [...new Set(candidates.map(({ route }) => route.method))].join(', ');
      throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here; use ${allowed}`, { allow: allowed });
    }
    return chosen.route.handler({ event, context, params: chosen.params });
  }
}
