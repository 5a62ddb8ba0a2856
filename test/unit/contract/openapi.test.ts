import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventRoutes } from '../../../lambdas/api/event-routes';
import { openApiJson } from '../../../lambdas/api/openapi-document';
import { subscriptionRoutes } from '../../../lambdas/api/subscription-routes';
import { consumerRoutes } from '../../../lambdas/api/consumer-routes';
import { transformRoutes } from '../../../lambdas/api/transform-routes';
import { acceptEvent } from '../../../lambdas/pipeline/accept-event';
import { SCOPES } from '../../../lambdas/core/api-keys';
import { errorResponseSchema } from '../../../lambdas/contract/response-schemas';
import { eventTypeSchema, createSubscriptionRequestSchema } from '../../../lambdas/contract/request-schemas';
import { isId, newId } from '../../../lambdas/core/ids';
import { DEFAULT_SUBSCRIPTION_LIMITS } from '../../../lambdas/core/subscription-limits';
import type { DeliveryRecord } from '../../../lambdas/core/model';
import {
  buildOpenApiDocument,
  renderOpenApiJson,
  REQUEST_SCHEMAS,
  RESPONSE_SCHEMAS,
  type OpenApiDocument,
  type OpenApiOperation,
} from '../../../lambdas/contract/openapi';
import { ROUTES, type OperationId, type RouteSpec } from '../../../lambdas/contract/routes';
import { Router, routesOf } from '../../../lambdas/http/router';
import { apiEvent, lambdaContext } from '../../kit/lambda-events';
import { InMemoryConsumerStore, InMemoryDeliveryStore, InMemoryEventStore, InMemorySubscriptionStore, RecordingFanoutPublisher } from '../../kit/fakes';

type Json = Record<string, unknown>;
type SchemaName = keyof typeof REQUEST_SCHEMAS | keyof typeof RESPONSE_SCHEMAS;

const NOW = Date.parse('2026-03-01T12:00:00Z');
const TENANT = 'tenant-1';

const fakeDeps = () => {
  const subscriptions = new InMemorySubscriptionStore();
  const deliveries = new InMemoryDeliveryStore();
  const events = new InMemoryEventStore();
  const fanout = new RecordingFanoutPublisher();
  const routes = routesOf({
    ...subscriptionRoutes({
      subscriptions,
      deliveries,
      fanout,
      targetPolicy: { allowHttp: false, allowedNetworks: [] },
      resolveHost: async () => ['93.184.215.14'],
      secretGraceSeconds: 86400,
      maxBodyBytes: 262144,
      limits: DEFAULT_SUBSCRIPTION_LIMITS,
      now: () => NOW,
    }),
    ...eventRoutes({ events, subscriptions, deliveries, fanout, maxBodyBytes: 262144 }),
    ...transformRoutes({ events, subscriptions, maxBodyBytes: 262144, now: () => NOW }),
    ...consumerRoutes({ consumers: new InMemoryConsumerStore(subscriptions), subscriptions, maxBodyBytes: 262144, now: () => NOW }),
  });
  return { subscriptions, deliveries, events, fanout, routes };
};

/** `METHOD /path` of each route of the route table, by operation id. */
const routeKeys = (routes: Array<[string, RouteSpec]>): Array<[string, string]> => routes.map(([id, { method, path }]) => [id, `${method} ${path}`]);
const ROUTE_TABLE = Object.entries(ROUTES) as Array<[string, RouteSpec]>;

const operations = (document: OpenApiDocument): Array<{ key: string; operation: OpenApiOperation }> =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, operation: operation! })),
  );

const schemaName = (ref: unknown): SchemaName => {
  const name = String(ref).replace('#/components/schemas/', '');
  expect(name in REQUEST_SCHEMAS || name in RESPONSE_SCHEMAS, `${String(ref)} names a zod schema`).toBe(true);
  return name as SchemaName;
};

/**
 * An example fits its schema when it parses and parsing drops nothing: response schemas strip
 * unknown fields rather than refuse them, and a misspelt field must not pass for an example.
 */
const expectExampleFits = (name: SchemaName, example: unknown, where: string) => {
  const schema = name in REQUEST_SCHEMAS ? REQUEST_SCHEMAS[name as keyof typeof REQUEST_SCHEMAS] : RESPONSE_SCHEMAS[name as keyof typeof RESPONSE_SCHEMAS];
  const result = schema.safeParse(example);
  expect(result.success, `${where}: ${JSON.stringify(result.error?.issues)}`).toBe(true);
  if (!(name in REQUEST_SCHEMAS)) expect(result.data, where).toEqual(example);
};

const resolvePointer = (document: OpenApiDocument, ref: string): unknown =>
  ref
    .replace(/^#\//, '')
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], document);

const walk = (node: unknown, visit: (value: Json, path: string) => void, path = '#'): void => {
  if (node === null || typeof node !== 'object') return;
  visit(node as Json, path);
  for (const [key, child] of Object.entries(node)) walk(child, visit, `${path}/${key}`);
};

describe('OpenAPI document', () => {
  const document = buildOpenApiDocument();

  it('is an OpenAPI 3.1 document: version, info, paths, unique operation ids, every $ref resolving', () => {
    // Act
    const refs: Array<{ ref: string; at: string }> = [];
    walk(document, (value, at) => {
      if (typeof value.$ref === 'string') refs.push({ ref: value.$ref, at });
    });
    const ids = operations(document).map(({ operation }) => operation.operationId);

    // Assess
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document.info).toMatchObject({ title: 'webhook-fanout', version: '1.0.0' });
    expect(Object.keys(document.paths).length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    expect(refs.length).toBeGreaterThan(0);
    for (const { ref, at } of refs) {
      expect(ref, at).toMatch(/^#\//);
      expect(resolvePointer(document, ref), `${ref} at ${at}`).toBeDefined();
    }
    for (const { key, operation } of operations(document)) {
      expect(operation.summary, key).toEqual(expect.any(String));
      expect(Object.keys(operation.responses).some((status) => /^2\d\d$/.test(status)), key).toBe(true);
    }
  });

  it('documents every route of the route table under its operation id, and nothing else', () => {
    // Act
    const documented = operations(document).map(({ key, operation }) => [operation.operationId, key]);

    // Assess
    expect(routeKeys(ROUTE_TABLE).map(([, key]) => key)).toEqual(expect.arrayContaining(['POST /v1/events', 'GET /health', 'GET /openapi.json']));
    expect(documented).toEqual(routeKeys(ROUTE_TABLE));
  });

  it('routes every route of the route table but POST /v1/events (the ingest function\'s) to the api routes of the events and subscriptions', () => {
    // Act
    const routed = fakeDeps().routes.map(({ method, path }) => `${method} ${path}`);

    // Assess
    expect(new Set(routed).size).toBe(routed.length);
    expect([...routed, 'POST /v1/events', 'GET /health', 'GET /openapi.json'].sort()).toEqual(routeKeys(ROUTE_TABLE).map(([, key]) => key).sort());
  });

  it('asks for a key with the scope of the route table on every operation but the public routes', () => {
    // Prepare
    const publicRoutes = ROUTE_TABLE.filter(([, route]) => route.scope === undefined).map(([id]) => id);

    // Act + Assess
    expect(publicRoutes.sort()).toEqual(['getHealth', 'getOpenApiDocument']);
    expect(Object.keys(document.components.securitySchemes)).toEqual(['apiKey']);
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const { key, operation } of operations(document)) {
      const { scope }: RouteSpec = ROUTES[operation.operationId as OperationId];
      if (scope === undefined) {
        expect(operation.security, key).toEqual([]);
        expect(operation.responses['401'], key).toBeUndefined();
      } else {
        expect(operation.security, key).toEqual([{ apiKey: [scope] }]);
        expect(SCOPES, key).toContain(scope);
        expect(Object.keys(operation.responses), key).toEqual(expect.arrayContaining(['401', '403']));
      }
    }
  });

  it('documents the Idempotency-Key header and the query parameters of the paginated routes', () => {
    // Prepare
    const parameterNames = (operation: OpenApiOperation | undefined) =>
      (operation?.parameters ?? []).map((parameter) =>
        typeof parameter.$ref === 'string' ? (resolvePointer(document, parameter.$ref) as Json).name : parameter.name,
      );

    // Act + Assess
    expect(parameterNames(document.paths['/v1/events']?.post)).toEqual(['Idempotency-Key']);
    expect(parameterNames(document.paths['/v1/subscriptions']?.get)).toEqual(['limit', 'cursor']);
    expect(parameterNames(document.paths['/v1/events/{id}/deliveries']?.get)).toEqual(['id', 'limit', 'cursor']);
    expect(parameterNames(document.paths['/v1/subscriptions/{id}/deliveries']?.get)).toEqual(['id', 'limit', 'cursor', 'status', 'since', 'until']);
  });

  it('answers errors in the shared Error shape, each status with an example of each of its codes', () => {
    for (const { key, operation } of operations(document)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!/^4\d\d$/.test(status) || status === '429') continue;
        const content = (response as { content: Record<string, { schema: Json; examples: Record<string, Json> }> }).content['application/json']!;
        expect(content.schema, `${key} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
        for (const [code, example] of Object.entries(content.examples)) {
          const value = (example.$ref === undefined ? example : resolvePointer(document, String(example.$ref)) as Json).value;
          expect(errorResponseSchema.parse(value), `${key} ${status} ${code}`).toEqual(value);
          expect((value as { error: { code: string } }).error.code).toBe(code);
        }
      }
    }
  });

  it('gives every request body and success response an example that its zod schema accepts', () => {
    for (const { key, operation } of operations(document)) {
      // Request bodies
      const body = operation.requestBody?.content['application/json'];
      if (operation.requestBody !== undefined) {
        expect(body?.example, `${key} request example`).toBeDefined();
        expectExampleFits(schemaName(body!.schema.$ref), body!.example, `${key} request example`);
      }
      // Success responses
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!/^2\d\d$/.test(status)) continue;
        const content = (response as { content?: Record<string, { schema: Json; example: unknown }> }).content?.['application/json'];
        if (status === '204') {
          expect(content, `${key} ${status} has no body`).toBeUndefined();
          continue;
        }
        expect(content?.example, `${key} ${status} example`).toBeDefined();
        expectExampleFits(schemaName(content!.schema.$ref), content!.example, `${key} ${status} example`);
      }
    }
  });

  it('has the examples of its component schemas accepted by their zod schemas', () => {
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      for (const example of (schema.examples as unknown[] | undefined) ?? []) {
        expectExampleFits(schemaName(`#/components/schemas/${name}`), example, `${name} example`);
      }
    }
  });

  it('uses well-formed ids in its examples', () => {
    // Act
    const ids: string[] = [];
    walk(document, (value) => {
      for (const child of Object.values(value)) if (typeof child === 'string' && /^(evt|sub|run|key)_/.test(child)) ids.push(child);
    });

    // Assess
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(isId(id.slice(0, 3) as 'evt', id), id).toBe(true);
  });

  it('states the event type rules as patterns that agree with the refinements', () => {
    // Prepare
    const components = document.components.schemas;
    const typePattern = new RegExp(((components.PublishEventRequest!.properties as Json).type as Json).pattern as string, 'u');
    const filterSchema = createSubscriptionRequestSchema.shape.eventTypes;
    const filterPattern = new RegExp(
      (((components.CreateSubscriptionRequest!.properties as Json).eventTypes as Json).items as Json).pattern as string,
      'u',
    );
    const candidate = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', 'Z', '0', '_', '-', '.', '*', ' ', '/', 'é'), maxLength: 12 }),
      fc.constantFrom('order.created', 'order.*', '*', '.order', 'order.', 'order..created', 'a.*.b', '**', 'order.*.*'),
    );

    // Act + Assess
    fc.assert(
      fc.property(candidate, (value) => {
        expect(typePattern.test(value), `type ${JSON.stringify(value)}`).toBe(eventTypeSchema.safeParse(value).success);
        expect(filterPattern.test(value), `filter ${JSON.stringify(value)}`).toBe(filterSchema.safeParse([value]).success);
      }),
    );
  });

  it('is built once, frozen, and the same as the committed docs/openapi.json', () => {
    // Act
    const committed = readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8');

    // Assess
    expect(buildOpenApiDocument()).toBe(document);
    expect(Object.isFrozen(document.paths)).toBe(true);
    expect(JSON.parse(committed), 'docs/openapi.json is stale: run `npm run openapi` and commit it').toEqual(document);
    expect(committed, 'docs/openapi.json is stale: run `npm run openapi` and commit it').toBe(renderOpenApiJson());
  });

  it('is what the api function serves, as compact JSON (lambdas/api/openapi-document.generated.ts)', () => {
    // Prepare
    const stale = 'lambdas/api/openapi-document.generated.ts is stale: run `npm run openapi` and commit it';

    // Act
    const served = openApiJson();

    // Assess
    expect(JSON.parse(served), stale).toEqual(document);
    expect(served, stale).toBe(JSON.stringify(document));
  });
});

describe('OpenAPI document against the handlers', () => {
  /** Calls a route the way API Gateway would and checks the answer against the document. */
  const setUp = () => {
    const deps = fakeDeps();
    const router = new Router(deps.routes);
    const document = buildOpenApiDocument();
    const context = { ...lambdaContext(), principal: { tenantId: TENANT, keyId: 'key_1', scopes: [...SCOPES] } };
    const call = async (method: string, template: string, params: Record<string, string>, body?: unknown) => {
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => params[name]!);
      const result = await router.handle(
        apiEvent({
          method,
          path,
          ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        }),
        context,
      );
      const operation = document.paths[template]?.[method.toLowerCase() as 'get'];
      const response = operation?.responses[String(result.statusCode)] as { content?: Record<string, { schema: Json }> } | undefined;
      expect(response, `${method} ${template} answers a documented ${result.statusCode}: ${result.body}`).toBeDefined();
      const schema = response!.content?.['application/json']?.schema;
      if (schema === undefined) {
        expect(result.body, `${method} ${template} ${result.statusCode} has no body`).toBe('');
        return undefined;
      }
      const parsed = JSON.parse(result.body ?? '') as unknown;
      expectExampleFits(schemaName(schema.$ref), parsed, `${method} ${template} ${result.statusCode}`);
      return parsed as Json;
    };
    return { ...deps, call };
  };

  it('answers every route with a body of the documented schema and status', async () => {
    // Prepare
    const { call, events, deliveries } = setUp();
    const created = await call('POST', '/v1/subscriptions', {}, { url: 'https://hooks.example.com/a', eventTypes: ['order.*'], rateLimitPerSecond: 5 });
    const id = String(created!.id);
    const evt = newId('evt', NOW - 60_000);
    await events.putEvent({ tenantId: TENANT, id: evt, type: 'order.created', dataJson: '{"n":1}', createdAt: new Date(NOW - 60_000).toISOString(), expiresAt: 0 });
    const record: DeliveryRecord = {
      tenantId: TENANT,
      eventId: evt,
      subscriptionId: id,
      eventType: 'order.created',
      run: evt,
      status: 'retrying',
      attempts: 1,
      lastAttemptAt: new Date(NOW - 59_000).toISOString(),
      nextAttemptAt: new Date(NOW - 29_000).toISOString(),
      history: [
        { attempt: 1, at: new Date(NOW - 59_000).toISOString(), outcome: 'failed', statusCode: 503, durationMs: 12, reason: 'throttled', responseSnippet: 'busy', nextAttemptAt: new Date(NOW - 29_000).toISOString() },
      ],
      createdAt: new Date(NOW - 59_000).toISOString(),
      updatedAt: new Date(NOW - 59_000).toISOString(),
      expiresAt: 0,
    };
    deliveries.seed(record);

    // Act + Assess: each call checks its answer against the document
    expect(created!.secret).toEqual(expect.any(String));
    await call('GET', '/v1/subscriptions', {});
    await call('GET', '/v1/subscriptions/{id}', { id });
    const disabled = await call('PATCH', '/v1/subscriptions/{id}', { id }, { description: 'orders', enabled: false });
    expect(disabled).toMatchObject({ enabled: false, disabledReason: 'disabled_by_user' });
    await call('PATCH', '/v1/subscriptions/{id}', { id }, { enabled: true });
    expect((await call('POST', '/v1/subscriptions/{id}/rotate-secret', { id }))!.secret).toEqual(expect.any(String));
    await call('GET', '/v1/subscriptions/{id}/deliveries', { id });
    await call('POST', '/v1/subscriptions/{id}/recover', { id }, { since: new Date(NOW - 3_600_000).toISOString() });
    expect(await call('GET', '/v1/events/{id}', { id: evt })).toMatchObject({ deliveries: { retrying: 1, complete: true } });
    await call('GET', '/v1/events/{id}/deliveries', { id: evt });
    await call('POST', '/v1/events/{id}/replay', { id: evt }, { subscriptionId: id });
    await call('POST', '/v1/events/{id}/replay', { id: evt });
    await call('DELETE', '/v1/subscriptions/{id}', { id });
  });

  it('answers POST /v1/events with the documented EventAccepted body', async () => {
    // Act
    const accepted = await acceptEvent(
      { tenantId: TENANT, request: { type: 'order.created', dataJson: '{}' } },
      { events: new InMemoryEventStore(), fanout: new RecordingFanoutPublisher(), now: () => NOW, eventRetentionDays: 7 },
    );

    // Assess
    const { schema } = (buildOpenApiDocument().paths['/v1/events']!.post!.responses['202'] as { content: Record<string, { schema: Json }> }).content[
      'application/json'
    ]!;
    expectExampleFits(schemaName(schema.$ref), accepted, 'POST /v1/events 202');
  });
});
