import * as z from 'zod/mini';
import './request-docs';
import {
  API_EXAMPLES,
  attemptLogSchema,
  consumerDeletedResponseSchema,
  consumerDisabledResponseSchema,
  consumerEnabledResponseSchema,
  consumerListResponseSchema,
  consumerResponseSchema,
  deliveryListResponseSchema,
  deliveryResponseSchema,
  errorResponseSchema,
  eventResponseSchema,
  healthResponseSchema,
  publishEventResponseSchema,
  recoverResponseSchema,
  replayResponseSchema,
  subscriptionListResponseSchema,
  subscriptionResponseSchema,
  transformResponseSchema,
} from './response-schemas';
import {
  consumerIdSchema,
  createSubscriptionRequestSchema,
  deliveryStatusSchema,
  idempotencyKeySchema,
  paginationQuerySchema,
  publishEventRequestSchema,
  putConsumerRequestSchema,
  recoverRequestSchema,
  replayRequestSchema,
  subscriptionDeliveriesQuerySchema,
  transformRequestSchema,
  updateSubscriptionRequestSchema,
} from './request-schemas';
import { TRANSFORMATION_GUARDS as GUARD } from '../core/transformation';
import { SETTINGS as LIMIT } from '../core/settings';
import { subscriptionQuotaExceeded } from '../core/subscription-limits';
import { ROUTES, type HttpMethod, type OperationId, type RouteSpec } from './routes';

/**
 * The OpenAPI 3.1 document of the public API, generated from the zod/mini schemas the handlers
 * validate with (`z.toJSONSchema`, JSON Schema 2020-12) and the descriptions registered for them.
 * It is generated at build time, not in a function: `npm run openapi` writes it to docs/openapi.json
 * and, compressed, to the module the api function serves (lambdas/api/openapi-document.ts), and a
 * unit test keeps both equal to what this module builds.
 */

/** The version of the API contract (not of the package): bump it with the contract. */
export const API_VERSION = '1.0.0';

/** Request bodies, converted as what the API accepts (zod's input type). */
export const REQUEST_SCHEMAS = {
  PublishEventRequest: publishEventRequestSchema,
  CreateSubscriptionRequest: createSubscriptionRequestSchema,
  UpdateSubscriptionRequest: updateSubscriptionRequestSchema,
  PutConsumerRequest: putConsumerRequestSchema,
  RecoverRequest: recoverRequestSchema,
  ReplayRequest: replayRequestSchema,
  TransformRequest: transformRequestSchema,
} satisfies Record<string, z.core.$ZodType>;

/** The document itself, loosely: its full shape is the OpenAPI 3.1 specification's business. */
export const openApiDocumentSchema = z
  .looseObject({
    openapi: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  })
  .check(
    z.meta({
      description: 'This document.',
      examples: [{ openapi: '3.1.0', info: { title: 'webhook-fanout', version: API_VERSION }, paths: {} }],
    }),
  );

/** Response bodies, converted as what the API sends (zod's output type). */
export const RESPONSE_SCHEMAS = {
  EventAccepted: publishEventResponseSchema,
  Event: eventResponseSchema,
  Subscription: subscriptionResponseSchema,
  SubscriptionList: subscriptionListResponseSchema,
  Consumer: consumerResponseSchema,
  ConsumerList: consumerListResponseSchema,
  ConsumerDeleted: consumerDeletedResponseSchema,
  ConsumerDisabled: consumerDisabledResponseSchema,
  ConsumerEnabled: consumerEnabledResponseSchema,
  Delivery: deliveryResponseSchema,
  DeliveryList: deliveryListResponseSchema,
  DeliveryStatus: deliveryStatusSchema,
  AttemptLog: attemptLogSchema,
  ReplayAccepted: replayResponseSchema,
  RecoveryAccepted: recoverResponseSchema,
  TransformResult: transformResponseSchema,
  Health: healthResponseSchema,
  Error: errorResponseSchema,
  OpenApiDocument: openApiDocumentSchema,
} satisfies Record<string, z.core.$ZodType>;

type RequestName = keyof typeof REQUEST_SCHEMAS;
type ResponseName = keyof typeof RESPONSE_SCHEMAS;

/**
 * Every error code the functions answer with, the status it comes with, when, and a message as an
 * example (messages are for people and may change; codes are the contract).
 */
const ERRORS = {
  invalid_encoding: {
    status: 400,
    when: 'the body is not valid UTF-8 (its bytes are refused, never replaced with U+FFFD)',
    message: 'the request body is not valid UTF-8',
  },
  invalid_json: { status: 400, when: 'the body is not JSON', message: 'the request body is not valid JSON' },
  json_too_deep: { status: 400, when: 'the body nests deeper than 32 levels', message: 'the request body nests deeper than 32 levels' },
  invalid_cursor: { status: 400, when: 'the cursor is not one this API handed out', message: 'the cursor is not one this API handed out' },
  unauthorized: {
    status: 401,
    when: 'no API key, a malformed, forged, unknown or revoked one, or one of the older format once the deployment refuses them',
    message: 'the API key is not valid',
    headers: { 'WWW-Authenticate': { description: 'Always `Bearer`.', schema: { type: 'string', const: 'Bearer' } } },
  },
  bearer_scheme_required: {
    status: 401,
    when: 'the Authorization header does not use the Bearer scheme, e.g. holds the bare key; send `Authorization: Bearer <api key>`',
    message: 'the Authorization header holds the API key without its scheme: send Authorization: Bearer <api key>',
    headers: { 'WWW-Authenticate': { description: 'Always `Bearer`.', schema: { type: 'string', const: 'Bearer' } } },
  },
  forbidden: { status: 403, when: 'the API key lacks the scope of the route', message: 'this API key lacks the "read" scope' },
  not_found: { status: 404, when: "no such resource, or another tenant's", message: 'no such subscription' },
  consumer_not_found: {
    status: 404,
    when: "no such consumer (or another tenant's); create it with `PUT /v1/consumers/{consumerId}`",
    message: 'no consumer "cus_acme"; create it with PUT /v1/consumers/{consumerId}',
  },
  subscription_not_found: {
    status: 404,
    when: 'the event names a `subscriptionId` that is not a subscription of its consumer (or, without `consumerId`, of the tenant\'s own)',
    message: 'consumer "cus_acme" has no subscription sub_01JNP7YV0A4H6T8W2E5R7Y9QZB',
  },
  method_not_allowed: {
    status: 405,
    when: 'the path exists but not with this method',
    message: 'PUT is not allowed here; use POST, GET',
    headers: { Allow: { description: 'The methods the path has.', schema: { type: 'string' } } },
  },
  idempotency_conflict: {
    status: 409,
    when: 'the Idempotency-Key was used in the last 24 h with a different body',
    message: 'this Idempotency-Key was already used with a different body',
  },
  request_in_progress: {
    status: 409,
    when: 'a request with this Idempotency-Key may still be running; retry after `Retry-After` seconds',
    message: 'a request with this Idempotency-Key is still being processed',
    headers: { 'Retry-After': { description: 'Seconds to wait (15), with `request_in_progress` only.', schema: { type: 'string' } } },
  },
  subscription_disabled: {
    status: 409,
    when: 'the subscription is disabled; re-enable it first',
    message: 're-enable the subscription (PATCH {"enabled": true}) before recovering',
  },
  subscription_quota_exceeded: {
    status: 409,
    when: `the tenant (its own subscriptions), or the consumer, already has the most subscriptions the deployment allows (\`maxSubscriptionsPerTenant\`, ${LIMIT.maxSubscriptionsPerTenant.default} by default); delete one first`,
    message: subscriptionQuotaExceeded(LIMIT.maxSubscriptionsPerTenant.default).message,
  },
  payload_too_large: { status: 413, when: 'the body is larger than the limit (256 KiB by default)', message: 'the request body must be at most 262144 bytes' },
  unsupported_media_type: {
    status: 415,
    when: 'the body is not declared `application/json`',
    message: 'the request body must be JSON (content-type: application/json)',
  },
  validation_failed: {
    status: 422,
    when: 'valid JSON, a query parameter or a header that breaks a rule; the message names the fields',
    message: 'the request body is invalid: eventTypes: Too small: expected array to have >=1 items',
  },
  url_not_allowed: {
    status: 422,
    when: 'the URL, or an address its host resolves to, is refused by the network policy',
    message: 'hooks.example.com resolves to 10.0.0.5, which is not a public address',
  },
  duplicate_header: {
    status: 422,
    when: 'two header names differ only in case (header names are case-insensitive)',
    message: 'headers "X-Team" and "x-team" differ only in case; header names are case-insensitive, so give each once',
  },
  limit_exceeded: {
    status: 422,
    when:
      `more event-type filters (\`maxEventTypesPerSubscription\`, ${LIMIT.maxEventTypesPerSubscription.default} by default), ` +
      `headers (\`maxHeadersPerSubscription\`, ${LIMIT.maxHeadersPerSubscription.default}) or header bytes, names and values together ` +
      `(\`maxHeaderBytesPerSubscription\`, ${LIMIT.maxHeaderBytesPerSubscription.default}), than a subscription may have; the message names the limit and its value`,
    message: 'headers has 21 headers; a subscription may have at most 20 (limit maxHeadersPerSubscription)',
  },
  reserved_event_type: {
    status: 422,
    when: 'the type starts with "webhook." in any letter case (`Webhook.x` too), which the service publishes itself',
    message: 'types starting with "webhook." (in any letter case) are published by the service itself',
  },
  duplicate_json_key: {
    status: 422,
    when: 'an object in the body has the same key twice (after unescaping): which one counts would be ambiguous; the message names the key and where',
    message: 'the request body is ambiguous: the key "id" appears twice in the object at data.items[0]',
  },
  invalid_transformation: {
    status: 422,
    when: 'the transformation is not a JSONata expression that compiles; `position` is the character the error points at',
    message: 'the transformation does not compile: Expected "}" before end of expression',
  },
  transformation_failed: {
    status: 422,
    when: 'the dry run of a transformation exceeded a guard or raised an error; the message names which',
    message: `the transformation failed: time limit: ran longer than ${GUARD.timeoutMs} ms`,
  },
  broadcast_conflict: {
    status: 422,
    when: '`broadcast: true` with `consumerId` or `subscriptionId`: a broadcast goes to every owner; the message names the field',
    message: "broadcast and consumerId cannot be combined: a broadcast goes to the tenant's own subscriptions and every consumer's; leave out one of them",
  },
  idempotency_key_mismatch: {
    status: 422,
    when: 'the Idempotency-Key header and the idempotencyKey field differ',
    message: 'the Idempotency-Key header and the idempotencyKey field differ; send one of them',
  },
} satisfies Record<string, { status: number; when: string; message: string; headers?: Record<string, unknown> }>;

type ErrorCode = keyof typeof ERRORS;
/** An error an operation can answer, optionally with words of its own. */
type ErrorUse = ErrorCode | { code: ErrorCode; when?: string; message?: string };

const JSON_BODY_ERRORS: ErrorUse[] = ['invalid_encoding', 'invalid_json', 'json_too_deep', 'payload_too_large', 'unsupported_media_type', 'validation_failed'];
const PAGE_ERRORS: ErrorUse[] = ['invalid_cursor', { code: 'validation_failed', when: 'a query parameter is out of range' }];
const NO_SUBSCRIPTION: ErrorUse = { code: 'not_found', when: "no such subscription, or another tenant's" };
const NO_EVENT: ErrorUse = { code: 'not_found', when: "no such event (or past its retention), or another tenant's", message: 'no such event' };

/** What the document says of a route of ROUTES (routes.ts), beside its method, path and scope. */
interface OperationDocs {
  summary: string;
  description?: string;
  tag: 'Events' | 'Subscriptions' | 'Consumers' | 'Service';
  pathParameter?: 'SubscriptionId' | 'EventId' | 'ConsumerId';
  query?: z.ZodMiniObject;
  idempotencyKeyHeader?: boolean;
  body?: { schema: RequestName; optional?: boolean; example?: unknown };
  success: { status: 200 | 201 | 202 | 204; description: string; schema?: ResponseName; example?: unknown };
  errors: ErrorUse[];
}

type OperationSpec = RouteSpec & OperationDocs & { operationId: OperationId };

const subscriptionExample = (z.globalRegistry.get(RESPONSE_SCHEMAS.Subscription)?.examples as Json[] | undefined)?.[0];

/** The documentation of every route of ROUTES (routes.ts), by operation id. */
const OPERATION_DOCS: Record<OperationId, OperationDocs> = {
  publishEvent: {
    summary: 'Publish an event',
    description:
      'Stores the event and hands it to fan-out, which delivers it to every enabled subscription whose filters match its type: ' +
      "with `consumerId`, that consumer's subscriptions only; with `broadcast: true`, the tenant's own and every consumer's (fanned out after the answer); " +
      "otherwise, the tenant's own only. With `subscriptionId`, only that one " +
      "(of the consumer given, or the tenant's own), and only if its event types and filter match. " +
      'With an Idempotency-Key (header or body field), a repeat within 24 h answers the original 202 and delivers nothing again. ' +
      'The JSON text of `data` is stored and delivered exactly as sent, byte for byte (big integers, long decimals, exponents, escapes and whitespace included); ' +
      'a body that is not UTF-8, or with a key repeated in one object, is refused instead.',
    tag: 'Events',
    idempotencyKeyHeader: true,
    body: { schema: 'PublishEventRequest' },
    success: { status: 202, description: 'Accepted: stored and handed to fan-out.', schema: 'EventAccepted' },
    errors: [
      ...JSON_BODY_ERRORS,
      'duplicate_json_key',
      'reserved_event_type',
      'broadcast_conflict',
      'idempotency_key_mismatch',
      'idempotency_conflict',
      'request_in_progress',
      'subscription_not_found',
    ],
  },
  getEvent: {
    summary: 'Get an event and a count of its deliveries',
    tag: 'Events',
    pathParameter: 'EventId',
    success: { status: 200, description: 'The event.', schema: 'Event' },
    errors: [NO_EVENT],
  },
  listEventDeliveries: {
    summary: "List an event's delivery records",
    description: 'One record per subscription that the event was delivered to; pages walk the tenant\'s subscriptions.',
    tag: 'Events',
    pathParameter: 'EventId',
    query: paginationQuerySchema,
    success: { status: 200, description: 'A page of delivery records.', schema: 'DeliveryList' },
    errors: [...PAGE_ERRORS, NO_EVENT],
  },
  replayEvent: {
    summary: 'Deliver an event again',
    description:
      'To every matching subscription of the event\'s owner (a broadcast: of the tenant and every consumer again), or to the one named ' +
      "(of a broadcast: any of the tenant's, its own or a consumer's). Each delivery starts a new run with a fresh retry schedule.",
    tag: 'Events',
    pathParameter: 'EventId',
    body: { schema: 'ReplayRequest', optional: true },
    success: { status: 202, description: 'Accepted: the replay was handed to fan-out.', schema: 'ReplayAccepted' },
    errors: [...JSON_BODY_ERRORS, { code: 'not_found', when: "no such event, or no such subscription, or another tenant's", message: 'no such event' }],
  },
  createSubscription: {
    summary: 'Create a subscription',
    description: 'The answer carries the signing secret; it is shown here and on rotation only.',
    tag: 'Subscriptions',
    body: { schema: 'CreateSubscriptionRequest' },
    success: {
      status: 201,
      description: 'Created, with its signing secret.',
      schema: 'Subscription',
      example: { ...subscriptionExample, updatedAt: API_EXAMPLES.createdAt, secret: API_EXAMPLES.secret },
    },
    errors: [...JSON_BODY_ERRORS, 'duplicate_header', 'limit_exceeded', 'invalid_transformation', 'url_not_allowed', 'consumer_not_found', 'subscription_quota_exceeded'],
  },
  listSubscriptions: {
    summary: 'List subscriptions',
    description: "The tenant's own; a consumer's are listed by `GET /v1/consumers/{consumerId}/subscriptions`.",
    tag: 'Subscriptions',
    query: paginationQuerySchema,
    success: { status: 200, description: 'A page of subscriptions.', schema: 'SubscriptionList' },
    errors: PAGE_ERRORS,
  },
  getSubscription: {
    summary: 'Get a subscription',
    description: 'Never its secret.',
    tag: 'Subscriptions',
    pathParameter: 'SubscriptionId',
    success: { status: 200, description: 'The subscription.', schema: 'Subscription' },
    errors: [NO_SUBSCRIPTION],
  },
  updateSubscription: {
    summary: 'Change a subscription',
    description: 'Applies to every event accepted after the answer.',
    tag: 'Subscriptions',
    pathParameter: 'SubscriptionId',
    body: { schema: 'UpdateSubscriptionRequest' },
    success: {
      status: 200,
      description: 'The subscription as changed.',
      schema: 'Subscription',
      example: { ...subscriptionExample, eventTypes: ['order.*', 'refund.created'] },
    },
    errors: [...JSON_BODY_ERRORS, 'duplicate_header', 'limit_exceeded', 'invalid_transformation', 'url_not_allowed', NO_SUBSCRIPTION],
  },
  deleteSubscription: {
    summary: 'Delete a subscription',
    tag: 'Subscriptions',
    pathParameter: 'SubscriptionId',
    success: { status: 204, description: 'Deleted.' },
    errors: [NO_SUBSCRIPTION],
  },
  rotateSubscriptionSecret: {
    summary: 'Rotate the signing secret',
    description: 'Deliveries are signed with both the new and the old secret for a grace period (24 h by default).',
    tag: 'Subscriptions',
    pathParameter: 'SubscriptionId',
    success: {
      status: 200,
      description: 'The subscription with its new secret.',
      schema: 'Subscription',
      example: { ...subscriptionExample, secret: API_EXAMPLES.secret },
    },
    errors: [NO_SUBSCRIPTION],
  },
  listSubscriptionDeliveries: {
    summary: "List a subscription's delivery records",
    description: 'Newest event first.',
    tag: 'Subscriptions',
    pathParameter: 'SubscriptionId',
    query: subscriptionDeliveriesQuerySchema,
    success: { status: 200, description: 'A page of delivery records.', schema: 'DeliveryList' },
    errors: [...PAGE_ERRORS, NO_SUBSCRIPTION],
  },
  recoverSubscriptionDeliveries: {
    summary: 'Re-send exhausted deliveries',
    description: 'Re-sends every `exhausted` delivery to this subscription of the events accepted in the window, each with a fresh retry schedule.',
    tag: 'Subscriptions',
    pathParameter: 'SubscriptionId',
    body: { schema: 'RecoverRequest' },
    success: { status: 202, description: 'Accepted: the recovery was handed to fan-out.', schema: 'RecoveryAccepted' },
    errors: [...JSON_BODY_ERRORS, NO_SUBSCRIPTION, 'subscription_disabled'],
  },
  putConsumer: {
    summary: 'Create or change a consumer',
    description:
      "A consumer is one of the tenant's customers, named by an id the tenant chooses; it owns subscriptions of its own (`POST /v1/subscriptions` with `consumerId`), " +
      'which receive only the events published to it. The body replaces the name and metadata; a field left out is removed.',
    tag: 'Consumers',
    pathParameter: 'ConsumerId',
    body: { schema: 'PutConsumerRequest' },
    success: { status: 200, description: 'Changed (201 when it was created).', schema: 'Consumer' },
    errors: [...JSON_BODY_ERRORS],
  },
  listConsumers: {
    summary: 'List consumers',
    tag: 'Consumers',
    query: paginationQuerySchema,
    success: { status: 200, description: 'A page of consumers.', schema: 'ConsumerList' },
    errors: PAGE_ERRORS,
  },
  getConsumer: {
    summary: 'Get a consumer',
    tag: 'Consumers',
    pathParameter: 'ConsumerId',
    success: { status: 200, description: 'The consumer.', schema: 'Consumer' },
    errors: ['validation_failed', 'consumer_not_found'],
  },
  deleteConsumer: {
    summary: 'Delete a consumer and its subscriptions',
    description: 'The consumer goes first, so no subscription can be added meanwhile; a delete cut short is finished by the next one.',
    tag: 'Consumers',
    pathParameter: 'ConsumerId',
    success: { status: 200, description: 'Deleted, with how many subscriptions went with it.', schema: 'ConsumerDeleted' },
    errors: ['validation_failed', 'consumer_not_found'],
  },
  listConsumerSubscriptions: {
    summary: "List a consumer's subscriptions",
    tag: 'Consumers',
    pathParameter: 'ConsumerId',
    query: paginationQuerySchema,
    success: { status: 200, description: 'A page of subscriptions.', schema: 'SubscriptionList' },
    errors: [...PAGE_ERRORS, 'consumer_not_found'],
  },
  disableConsumer: {
    summary: "Disable all of a consumer's subscriptions",
    description:
      'What to do when a customer stops paying or asks for a pause: every enabled subscription of the consumer is disabled (`disabledReason: consumer_disabled`, ' +
      "`disabledAt`), so events published to it are delivered to none; the tenant's own and other consumers' subscriptions are untouched. " +
      'One disabled already keeps its reason. A delivery already queued for one is recorded `skipped`, unless fan-out read the subscription less than 30 s before (its group carries that copy). Calling it again disables nothing more (200, 0). ' +
      'A subscription created for the consumer afterwards starts enabled: disable again to include it.',
    tag: 'Consumers',
    pathParameter: 'ConsumerId',
    success: { status: 200, description: 'Disabled, with how many subscriptions this call disabled.', schema: 'ConsumerDisabled' },
    errors: ['validation_failed', 'consumer_not_found'],
  },
  enableConsumer: {
    summary: "Enable a consumer's subscriptions again",
    description:
      'Enables the subscriptions `POST /v1/consumers/{consumerId}/disable` disabled, and only those: one disabled by its endpoint (`endpoint_gone`, `failing_too_long`) ' +
      'or one by one (`disabled_by_user`) stays disabled, counted in `subscriptionsDisabledForOtherReasons`. Each enabled starts afresh: circuit closed, no failing period. ' +
      'Events published to the consumer meanwhile are not sent later: replay one (`POST /v1/events/{id}/replay`) that should go out. Calling it again enables nothing more (200, 0).',
    tag: 'Consumers',
    pathParameter: 'ConsumerId',
    success: { status: 200, description: 'Enabled, with how many subscriptions this call enabled.', schema: 'ConsumerEnabled' },
    errors: ['validation_failed', 'consumer_not_found'],
  },
  transformForSubscription: {
    summary: 'Try a transformation on an event',
    description:
      "What this subscription would receive for an event: a stored one (`eventId`) or one given (`event`), through the subscription's transformation " +
      'or the one given (`transformation`, to try a change before making it). Without either, the standard body. Nothing is stored or sent.',
    tag: 'Subscriptions',
    pathParameter: 'SubscriptionId',
    body: { schema: 'TransformRequest', example: { eventId: API_EXAMPLES.eventId } },
    success: { status: 200, description: 'The body, or that the delivery would be cancelled.', schema: 'TransformResult' },
    errors: [...JSON_BODY_ERRORS, 'invalid_transformation', 'transformation_failed', { code: 'not_found', when: "no such subscription or event, or another tenant's" }],
  },
  transformEvent: {
    summary: 'Try a transformation before subscribing',
    description: 'What an endpoint with this `transformation` (required here) would receive for the event. Nothing is stored or sent.',
    tag: 'Subscriptions',
    body: {
      schema: 'TransformRequest',
      example: { transformation: '{"order": data.orderId, "kind": type}', event: { type: 'order.created', data: { orderId: 'ord_1042' } } },
    },
    success: { status: 200, description: 'The body, or that the delivery would be cancelled.', schema: 'TransformResult' },
    errors: [...JSON_BODY_ERRORS, 'invalid_transformation', 'transformation_failed', { code: 'not_found', when: "no such event, or another tenant's", message: 'no such event' }],
  },
  getHealth: {
    summary: 'Liveness',
    tag: 'Service',
    success: { status: 200, description: 'The api function answers.', schema: 'Health' },
    errors: [],
  },
  getOpenApiDocument: {
    summary: 'This OpenAPI document',
    tag: 'Service',
    success: { status: 200, description: 'The OpenAPI 3.1 document of this API.', schema: 'OpenApiDocument' },
    errors: [],
  },
};

type Json = Record<string, unknown>;

export interface OpenApiOperation extends Json {
  operationId: string;
  summary: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  parameters?: Json[];
  requestBody?: { required: boolean; content: Record<string, { schema: { $ref: string }; example: unknown }> };
  responses: Record<string, Json>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string } & Json;
  servers: Json[];
  tags: Json[];
  paths: Record<string, Partial<Record<Lowercase<HttpMethod>, OpenApiOperation>>>;
  components: {
    securitySchemes: Record<string, Json>;
    parameters: Record<string, Json>;
    examples: Record<string, Json>;
    responses: Record<string, Json>;
    schemas: Record<string, Json>;
  };
}

const SCHEMA_REF = '#/components/schemas/';
const ref = (name: string) => ({ $ref: `${SCHEMA_REF}${name}` });
const SECURITY_SCHEME = 'apiKey';

/**
 * Tidies what zod emits for a document: no pattern beside `format: date-time` (zod's ISO regex is
 * 400 characters saying the same), no safe-integer bounds on every integer, and responses without `additionalProperties: false`, so that a
 * field added later does not break a client that validates strictly.
 */
const tidy =
  (io: 'input' | 'output') =>
  ({ zodSchema, jsonSchema }: { zodSchema: z.core.$ZodType; jsonSchema: z.core.JSONSchema.BaseSchema }): void => {
    if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
    if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
    const def = zodSchema._zod.def as { type: string; catchall?: unknown };
    if (io === 'output' && def.type === 'object' && def.catchall === undefined && jsonSchema.additionalProperties === false) {
      delete jsonSchema.additionalProperties;
    }
  };

const convert = (schema: z.core.$ZodType, io: 'input' | 'output'): Json => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, override: tidy(io) }) as Json;
  return rest;
};

/** One registry per direction: every schema in it becomes a component, and references to it `$ref`s. */
const componentSchemas = (schemas: Record<string, z.core.$ZodType>, io: 'input' | 'output'): Record<string, Json> => {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const { schemas: converted } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    override: tidy(io),
    uri: (id) => `${SCHEMA_REF}${id}`,
  });
  const result: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(converted)) {
    if (!(id in schemas)) throw new Error(`openapi: zod extracted a shared schema "${id}"; register it as a component`);
    const { $schema: _dialect, $id: _id, ...rest } = schema as Json;
    result[id] = rest;
  }
  return result;
};

const firstExample = (schema: z.core.$ZodType): unknown => {
  const examples = z.globalRegistry.get(schema)?.examples;
  if (!Array.isArray(examples) || examples.length === 0) throw new Error('openapi: a schema of a body has no example');
  return examples[0];
};

const queryParameters = (query: z.ZodMiniObject): Json[] =>
  Object.entries(query.shape).map(([name, field]) => {
    const { description, ...schema } = convert(field, 'input');
    return {
      name,
      in: 'query',
      required: !z.safeParse(field, undefined).success,
      ...(description === undefined ? {} : { description }),
      schema,
    };
  });

const errorExample = (code: ErrorCode, message: string) => ({ error: { code, message } });

const errorUse = (use: ErrorUse) => {
  const { code, when, message } = typeof use === 'string' ? { code: use } : use;
  const known = ERRORS[code];
  return { code, status: known.status, when: when ?? known.when, message: message ?? known.message, headers: 'headers' in known ? known.headers : undefined };
};

/** The responses of one status, named by the codes that come with it and an example of each. */
const errorResponse = (uses: ReturnType<typeof errorUse>[]): Json => {
  const headers = Object.assign({}, ...uses.map((use) => use.headers ?? {})) as Json;
  return {
    description: uses.map((use) => `\`${use.code}\`: ${use.when}.`).join(' '),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: {
      'application/json': {
        schema: ref('Error'),
        examples: Object.fromEntries(
          uses.map((use) => [
            use.code,
            use.message === ERRORS[use.code].message
              ? { $ref: `#/components/examples/${use.code}` }
              : { value: errorExample(use.code, use.message) },
          ]),
        ),
      },
    },
  };
};

const TOO_MANY_REQUESTS = { $ref: '#/components/responses/TooManyRequests' };

const operationObject = (spec: OperationSpec): OpenApiOperation => {
  const parameters: Json[] = [
    ...(spec.pathParameter === undefined ? [] : [{ $ref: `#/components/parameters/${spec.pathParameter}` }]),
    ...(spec.idempotencyKeyHeader === true ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : []),
    ...(spec.query === undefined ? [] : queryParameters(spec.query)),
  ];
  const errors = [
    ...(spec.scope === undefined
      ? []
      : [errorUse('unauthorized'), errorUse('bearer_scheme_required'), errorUse({ code: 'forbidden', when: `the API key lacks the "${spec.scope}" scope`, message: `this API key lacks the "${spec.scope}" scope` })]),
    ...spec.errors.map(errorUse),
  ];
  const byStatus = new Map<number, ReturnType<typeof errorUse>[]>();
  for (const use of errors.sort((a, b) => a.status - b.status)) byStatus.set(use.status, [...(byStatus.get(use.status) ?? []), use]);
  const { success } = spec;
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    tags: [spec.tag],
    security: spec.scope === undefined ? [] : [{ [SECURITY_SCHEME]: [spec.scope] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.body === undefined
      ? {}
      : {
          requestBody: {
            required: spec.body.optional !== true,
            content: {
              'application/json': {
                schema: ref(spec.body.schema),
                example: spec.body.example ?? firstExample(REQUEST_SCHEMAS[spec.body.schema]),
              },
            },
          },
        }),
    responses: {
      [String(success.status)]: {
        description: success.description,
        ...(success.schema === undefined
          ? {}
          : {
              content: {
                'application/json': {
                  schema: ref(success.schema),
                  example: success.example ?? firstExample(RESPONSE_SCHEMAS[success.schema]),
                },
              },
            }),
      },
      ...Object.fromEntries([...byStatus].map(([status, uses]) => [String(status), errorResponse(uses)])),
      '429': TOO_MANY_REQUESTS,
    },
  };
};

const idParameter = (prefix: 'sub' | 'evt', example: string, what: string): Json => ({
  name: 'id',
  in: 'path',
  required: true,
  description: `The ${what} id, \`${prefix}_<ULID>\`; any other value is a 404.`,
  schema: { type: 'string', pattern: `^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$` },
  example,
});

/**
 * Where the API runs: each deployment has its own base URL (the stack's `ApiUrl` output, an HTTP API
 * default endpoint unless a custom domain is mapped), and `npm start` serves it locally.
 */
const SERVERS: Json[] = [
  {
    url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
    description: 'A deployed stack: the ApiUrl output of `cdk deploy`, or a custom domain mapped to the API.',
    variables: {
      apiId: { default: 'a1b2c3d4e5', description: 'The id of the stack\'s HTTP API.' },
      region: { default: 'us-east-1', description: 'The AWS Region of the stack.' },
    },
  },
  {
    url: 'http://127.0.0.1:{port}',
    description: 'The local runtime (`npm start`).',
    variables: { port: { default: '3000', description: 'The PORT it was started with.' } },
  },
];

const build = (): OpenApiDocument => {
  const paths: OpenApiDocument['paths'] = {};
  for (const [operationId, route] of Object.entries(ROUTES) as Array<[OperationId, RouteSpec]>) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase() as Lowercase<HttpMethod>] = operationObject({ ...route, ...OPERATION_DOCS[operationId], operationId });
  }
  const schemas = { ...componentSchemas(REQUEST_SCHEMAS, 'input'), ...componentSchemas(RESPONSE_SCHEMAS, 'output') };
  // Only the error examples an operation points at: a 405 belongs to no operation (it answers a method a path lacks).
  const exampleRefs = new Set([...JSON.stringify(paths).matchAll(/#\/components\/examples\/(\w+)/g)].map((match) => match[1]));
  const { description: idempotencyKeyDescription, ...idempotencyKeySchemaJson } = convert(idempotencyKeySchema, 'input');
  return {
    openapi: '3.1.0',
    info: {
      title: 'webhook-fanout',
      version: API_VERSION,
      description:
        'Publish events; every enabled subscription whose filters match receives a signed webhook, retried on failure and logged. ' +
        'Every route but `GET /health` and `GET /openapi.json` needs `Authorization: Bearer <api key>`, and the key a scope. ' +
        'Errors are `{"error":{"code","message"}}`; branch on the code. A known path with a method it does not have answers 405 ' +
        '`method_not_allowed` with an `Allow` header; an unknown path 404 `not_found`; a failure on our side 500 `internal_error`. ' +
        'Responses may gain fields: ignore the ones you do not know.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: SERVERS,
    tags: [
      { name: 'Events', description: 'Publish events, follow and replay their deliveries.' },
      { name: 'Subscriptions', description: 'Where events go, and what happened to them there.' },
      { name: 'Consumers', description: "The tenant's customers: each owns its own subscriptions, which receive only the events published to it." },
      { name: 'Service', description: 'Unauthenticated.' },
    ],
    paths,
    components: {
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'wfk_<ULID>_<secret>',
          description:
            'An API key (`wfk_...`) issued by an operator (`webhook-fanout keys create`). It belongs to one tenant; the role names of each ' +
            'operation are the scope it needs: `events:write`, `subscriptions:write` or `read`.',
        },
      },
      parameters: {
        SubscriptionId: idParameter('sub', API_EXAMPLES.subscriptionId, 'subscription'),
        EventId: idParameter('evt', API_EXAMPLES.eventId, 'event'),
        ConsumerId: {
          name: 'consumerId',
          in: 'path',
          required: true,
          description: 'The id the tenant chose for the consumer; one that breaks the rule is a 422.',
          schema: convert(consumerIdSchema, 'input'),
          example: API_EXAMPLES.consumerId,
        },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: idempotencyKeyDescription,
          schema: idempotencyKeySchemaJson,
          example: 'order-1042-created',
        },
      },
      examples: Object.fromEntries(
        Object.entries(ERRORS)
          .filter(([code]) => exampleRefs.has(code))
          .map(([code, { status, when, message }]) => [
            code,
            { summary: `${status}: ${when}`, value: errorExample(code as ErrorCode, message) },
          ]),
      ),
      responses: {
        TooManyRequests: {
          description: "Above the stage throttle, API Gateway answers itself, with its own body (not the error shape). Retry after a short wait.",
          content: {
            'application/json': {
              schema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
              example: { message: 'Too Many Requests' },
            },
          },
        },
      },
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    },
  };
};

const deepFreeze = <T>(value: T): T => {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
};

let document: OpenApiDocument | undefined;

/** The document, built on first use and frozen: every caller shares one. */
export const buildOpenApiDocument = (): OpenApiDocument => (document ??= deepFreeze(build()));

/** docs/openapi.json as `npm run openapi` writes it: two-space indents, a final newline. */
export const renderOpenApiJson = (): string => `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
