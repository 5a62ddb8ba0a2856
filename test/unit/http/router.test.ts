import { describe, expect, it } from 'vitest';
import { json } from '../../../lambdas/http/responses';
import { Router, type Route, type RouteRequest } from '../../../lambdas/http/router';
import { apiEvent, lambdaContext } from '../../kit/lambda-events';
import { rejectionOf } from '../../kit/expectations';

const echo = (name: string) => async ({ params }: RouteRequest) => json(200, { route: name, params });

const routes: Route[] = [
  { method: 'GET', path: '/health', handler: echo('health'), public: true },
  { method: 'GET', path: '/openapi.json', handler: echo('openapi'), public: true },
  { method: 'GET', path: '/v1/subscriptions', handler: echo('list') },
  { method: 'POST', path: '/v1/subscriptions', handler: echo('create') },
  { method: 'GET', path: '/v1/subscriptions/{id}', handler: echo('get') },
  { method: 'PATCH', path: '/v1/subscriptions/{id}', handler: echo('update') },
  { method: 'DELETE', path: '/v1/subscriptions/{id}', handler: echo('delete') },
  { method: 'POST', path: '/v1/subscriptions/{id}/rotate-secret', handler: echo('rotate') },
];

const call = async (router: Router, method: string, path: string) => {
  const result = await router.handle(apiEvent({ method, path }), lambdaContext());
  return { statusCode: result.statusCode, body: JSON.parse(result.body as string) as { route: string; params: Record<string, string> } };
};

describe('Class: Router', () => {
  describe('Method: handle', () => {
    it('dispatches by method and path', async () => {
      // Prepare
      const router = new Router(routes);

      // Act
      const list = await call(router, 'GET', '/v1/subscriptions');
      const create = await call(router, 'POST', '/v1/subscriptions');

      // Assess
      expect(list.body.route).toBe('list');
      expect(create.body.route).toBe('create');
    });

    it('passes path parameters, decoded', async () => {
      // Prepare
      const router = new Router(routes);

      // Act
      const result = await call(router, 'GET', '/v1/subscriptions/sub%5F1%20x');

      // Assess
      expect(result.body).toEqual({ route: 'get', params: { id: 'sub_1 x' } });
    });

    it('accepts a trailing slash and a lower-case method', async () => {
      // Prepare
      const router = new Router(routes);

      // Act
      const result = await call(router, 'post', '/v1/subscriptions/sub_1/rotate-secret/');

      // Assess
      expect(result.body).toEqual({ route: 'rotate', params: { id: 'sub_1' } });
    });

    it.each(['/v2/subscriptions', '/v1/subscriptions/sub_1/unknown', '/v1/subscriptions//', '/', '/v1/subscriptionsX', '/health/x'])(
      'answers 404 for the unknown path %s',
      async (path) => {
        // Prepare
        const router = new Router(routes);

        // Act
        const error = await rejectionOf(router.handle(apiEvent({ path }), lambdaContext()));

        // Assess
        expect(error.statusCode).toBe(404);
        expect(error.code).toBe('not_found');
      },
    );

    it('answers 405 with an allow header listing the methods of a known path', async () => {
      // Prepare
      const router = new Router(routes);

      // Act
      const error = await rejectionOf(router.handle(apiEvent({ method: 'PUT', path: '/v1/subscriptions/sub_1' }), lambdaContext()));

      // Assess
      expect(error.statusCode).toBe(405);
      expect(error.code).toBe('method_not_allowed');
      expect(error.headers.allow?.split(', ').sort()).toEqual(['DELETE', 'GET', 'PATCH']);
    });

    it.each(['/v1/subscriptions/%E0%A4%A', '/v1/subscriptions/%', '/v1/subscriptions/%zz'])(
      'answers 404, not 500, for the malformed percent-encoding %s',
      async (path) => {
        // Prepare
        const router = new Router(routes);

        // Act
        const error = await rejectionOf(router.handle(apiEvent({ path }), lambdaContext()));

        // Assess
        expect(error.statusCode).toBe(404);
      },
    );

    it('treats regular-expression characters in a route as literal', async () => {
      // Prepare
      const router = new Router(routes);

      // Act
      const error = await rejectionOf(router.handle(apiEvent({ path: '/openapiXjson' }), lambdaContext()));

      // Assess
      expect(error.statusCode).toBe(404);
    });
  });

  describe('Method: isPublic', () => {
    it('is true only for the public routes with their own method', () => {
      // Prepare
      const router = new Router(routes);

      // Act & Assess
      expect(router.isPublic(apiEvent({ method: 'GET', path: '/health' }))).toBe(true);
      expect(router.isPublic(apiEvent({ method: 'GET', path: '/openapi.json' }))).toBe(true);
      expect(router.isPublic(apiEvent({ method: 'POST', path: '/health' }))).toBe(false);
      expect(router.isPublic(apiEvent({ method: 'GET', path: '/v1/subscriptions' }))).toBe(false);
      expect(router.isPublic(apiEvent({ method: 'GET', path: '/nowhere' }))).toBe(false);
    });
  });
});
