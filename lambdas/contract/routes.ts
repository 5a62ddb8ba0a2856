import type { Scope } from '../core/api-keys';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteSpec {
  method: HttpMethod;
  /** A path with `{name}` segments, e.g. `/v1/subscriptions/{id}`. */
  path: string;
  /** The scope the route requires; routes without one are public (no API key). */
  scope?: Scope;
}

/**
 * Every route of the public API, named by its OpenAPI operation id, written once: the api
 * function's router is built from it (lambdas/http/router.ts, `routesOf`) and the OpenAPI document
 * describes each entry (openapi.ts). `POST /v1/events` has an API Gateway route of its own to the
 * ingest function; the api function answers it only if that route is missing. The order is the
 * document's, and the order of the methods an `Allow` header lists.
 */
export const ROUTES = {
  publishEvent: { method: 'POST', path: '/v1/events', scope: 'events:write' },
  getEvent: { method: 'GET', path: '/v1/events/{id}', scope: 'read' },
  listEventDeliveries: { method: 'GET', path: '/v1/events/{id}/deliveries', scope: 'read' },
  replayEvent: { method: 'POST', path: '/v1/events/{id}/replay', scope: 'events:write' },
  createSubscription: { method: 'POST', path: '/v1/subscriptions', scope: 'subscriptions:write' },
  listSubscriptions: { method: 'GET', path: '/v1/subscriptions', scope: 'read' },
  getSubscription: { method: 'GET', path: '/v1/subscriptions/{id}', scope: 'read' },
  updateSubscription: { method: 'PATCH', path: '/v1/subscriptions/{id}', scope: 'subscriptions:write' },
  deleteSubscription: { method: 'DELETE', path: '/v1/subscriptions/{id}', scope: 'subscriptions:write' },
  rotateSubscriptionSecret: { method: 'POST', path: '/v1/subscriptions/{id}/rotate-secret', scope: 'subscriptions:write' },
  listSubscriptionDeliveries: { method: 'GET', path: '/v1/subscriptions/{id}/deliveries', scope: 'read' },
  recoverSubscriptionDeliveries: { method: 'POST', path: '/v1/subscriptions/{id}/recover', scope: 'subscriptions:write' },
  listConsumers: { method: 'GET', path: '/v1/consumers', scope: 'read' },
  putConsumer: { method: 'PUT', path: '/v1/consumers/{consumerId}', scope: 'subscriptions:write' },
  getConsumer: { method: 'GET', path: '/v1/consumers/{consumerId}', scope: 'read' },
  deleteConsumer: { method: 'DELETE', path: '/v1/consumers/{consumerId}', scope: 'subscriptions:write' },
  listConsumerSubscriptions: { method: 'GET', path: '/v1/consumers/{consumerId}/subscriptions', scope: 'read' },
  disableConsumer: { method: 'POST', path: '/v1/consumers/{consumerId}/disable', scope: 'subscriptions:write' },
  enableConsumer: { method: 'POST', path: '/v1/consumers/{consumerId}/enable', scope: 'subscriptions:write' },
  transformForSubscription: { method: 'POST', path: '/v1/subscriptions/{id}/transform', scope: 'read' },
  transformEvent: { method: 'POST', path: '/v1/transform', scope: 'read' },
  getHealth: { method: 'GET', path: '/health' },
  getOpenApiDocument: { method: 'GET', path: '/openapi.json' },
} as const satisfies Record<string, RouteSpec>;

export type OperationId = keyof typeof ROUTES;
