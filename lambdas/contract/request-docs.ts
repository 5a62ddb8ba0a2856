import * as z from 'zod/mini';
import { API_EXAMPLES } from './response-schemas';
import {
  consumerIdSchema,
  consumerMetadataSchema,
  createSubscriptionRequestSchema,
  MAX_CONSUMER_METADATA_BYTES,
  MAX_CONSUMER_METADATA_ENTRIES,
  MAX_CONSUMER_NAME_LENGTH,
  putConsumerRequestSchema,
  deliveryStatusSchema,
  descriptionSchema,
  eventTypeFilterSchema,
  eventTypeSchema,
  eventTypesSchema,
  filterSchema,
  headersSchema,
  idempotencyKeySchema,
  paginationQuerySchema,
  publishEventRequestSchema,
  rateLimitSchema,
  recoverRequestSchema,
  replayRequestSchema,
  subscriptionDeliveriesQuerySchema,
  transformationSchema,
  transformRequestSchema,
  updateSubscriptionRequestSchema,
  urlSchema,
} from './request-schemas';
import { FILTER_LIMITS } from '../core/event-pattern-schema';
import { SETTINGS as LIMIT } from '../core/settings';
import { TRANSFORMATION_GUARDS as GUARD } from '../core/transformation';

/**
 * The descriptions and examples the OpenAPI document gives the request schemas, registered in
 * zod's global registry (what `.meta()` writes to) by importing this module. They live apart from
 * the rules in lambdas/contract/request-schemas.ts so that the api function, which validates with those
 * rules, does not carry the words of the document in its bundle.
 *
 * A rule that only a `refine()` checks cannot be expressed in JSON Schema; where it matters,
 * `pattern` states it for readers (test/unit/contract/openapi.test.ts holds the two to the same answers).
 * The limits a deployment sets (lambdas/core/subscription-limits.ts) are stated with their defaults.
 */

const describe = (schema: z.core.$ZodType, meta: z.core.GlobalMeta): void => {
  z.globalRegistry.add(schema, meta);
};

describe(eventTypeSchema, {
  description: 'Dot-separated words of letters, digits, "_" or "-", 1..128 characters.',
  pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$',
  examples: ['order.created'],
});
describe(idempotencyKeySchema, {
  description:
    'Unique per tenant for 24 h: a repeat returns the original answer and delivers nothing again; the same key with a different body is a 409.',
  examples: ['order-1042-created'],
});
describe(publishEventRequestSchema.shape.data, {
  description:
    'Any JSON value (null included): the payload every subscriber receives, as the exact JSON text sent here (numbers, escapes and whitespace kept). No object in it may repeat a key.',
});
describe(publishEventRequestSchema.shape.idempotencyKey, {
  description: 'The same as the Idempotency-Key header, for clients that cannot set headers; send one of the two.',
});
describe(consumerIdSchema, {
  description: 'A consumer id, chosen by the tenant: 1 to 64 of the characters `A-Z a-z 0-9 . _ : -`.',
  examples: [API_EXAMPLES.consumerId],
});
describe(publishEventRequestSchema.shape.subscriptionId, {
  description:
    "Deliver to this subscription only (one of the consumer's given, or of the tenant's own without `consumerId`), if its event types and filter match; " +
    'any other is a 404 `subscription_not_found`.',
});
describe(publishEventRequestSchema.shape.broadcast, {
  description:
    "`true`: deliver to the tenant's own matching subscriptions and to every consumer's (each consumer's as if the event were published to it, so filters see its `consumerId`). " +
    'Fan-out does it after the answer, which has no `matched`. Not with `consumerId` or `subscriptionId` (422 `broadcast_conflict`). Default `false`.',
});
describe(publishEventRequestSchema, {
  description:
    'An event to deliver to every enabled subscription whose filters match its type: with `consumerId`, of that consumer only; with `broadcast: true`, of the tenant and every consumer; ' +
    'otherwise, of the tenant\'s own only. ' +
    'Types starting with "webhook." (in any letter case) are reserved.',
  examples: [{ type: 'order.created', consumerId: API_EXAMPLES.consumerId, data: { orderId: 'ord_1042', total: 129.5, currency: 'EUR' } }],
});

describe(eventTypeFilterSchema, {
  description: 'An exact event type, a prefix wildcard ("order.*" matches "order.created" and "order.line.added", not "order"), or "*".',
  pattern: '^(\\*|[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*(\\.\\*)?)$',
  examples: ['order.*'],
});
describe(headersSchema, {
  description:
    `Extra headers sent with every delivery: at most ${LIMIT.maxHeadersPerSubscription.default}, of at most ${LIMIT.maxHeaderBytesPerSubscription.default} bytes ` +
    '(names and values together) by default; names are HTTP tokens, case-insensitive, each given once; ' +
    '"webhook-*" and the headers the sender sets itself (content-type, host, ...) are refused.',
  examples: [{ 'x-team': 'billing' }],
});
describe(urlSchema, {
  description: 'Where deliveries are POSTed: https (http only where the deployment allows it), a public address unless allowed by the network policy, no credentials.',
  examples: [API_EXAMPLES.url],
});
describe(eventTypesSchema, {
  description: `Filters: an event is delivered when any of them matches its type. At most ${LIMIT.maxEventTypesPerSubscription.default} by default.`,
});
describe(filterSchema, {
  description:
    'A payload filter: an EventBridge event pattern matched against {"type", "consumerId", "data"} of each event of the subscribed types; ' +
    'only matching events are delivered (docs/filters.md). Operators: exact values, prefix, suffix, equals-ignore-case, anything-but, numeric, exists, wildcard, $or. ' +
    `At most ${FILTER_LIMITS.maxBytes} bytes of JSON, ${FILTER_LIMITS.maxDepth} levels deep, ${FILTER_LIMITS.maxValues} values and ${FILTER_LIMITS.maxOrAlternatives} alternatives per $or; ` +
    'a filter that breaks a rule is a 422 `invalid_filter` whose `path` says where. On update, `null` removes it.',
  examples: [{ data: { amount: [{ numeric: ['>=', 100] }], currency: ['EUR', 'USD'] } }],
});
describe(descriptionSchema, { description: 'Free text for people.' });
describe(rateLimitSchema, {
  description: 'At most this many delivery attempts per second to this subscription, across all delivery function instances.',
});
describe(transformationSchema, {
  description:
    'A JSONata expression (at most 4096 characters) evaluated on `{type, timestamp, data}`: its result, as JSON, is the body this endpoint receives ' +
    `and the signature covers; a result of nothing cancels the delivery. Guarded: ${GUARD.timeoutMs} ms, depth ${GUARD.maxDepth}, ` +
    `${GUARD.maxSequence} items per sequence, ${GUARD.maxOutputBytes} bytes of output. See docs/transformations.md.`,
  examples: ['{"order": data.orderId, "total": data.total}'],
});
describe(transformRequestSchema, {
  description: 'The event to try: `eventId` of a stored event, or `event` `{type, data}`; and optionally the `transformation` to try.',
  examples: [{ transformation: '{"order": data.orderId}', event: { type: 'order.created', data: { orderId: 'ord_1042' } } }],
});
describe(createSubscriptionRequestSchema, {
  description:
    'A new subscription. Its host is resolved now and every address it resolves to must be allowed. ' +
    `A tenant may have at most ${LIMIT.maxSubscriptionsPerTenant.default} subscriptions of its own by default, and each consumer as many. ` +
    'With `consumerId` it belongs to that consumer (which must exist), for good: it receives only the events published to the consumer.',
  examples: [{ url: API_EXAMPLES.url, eventTypes: ['order.*'], description: 'Order service', headers: { 'x-team': 'billing' } }],
});
describe(updateSubscriptionRequestSchema, {
  description:
    'The fields to change, at least one. `null` clears filter, description, rateLimitPerSecond or transformation; `enabled: true` re-enables a subscription disabled for any reason.',
  examples: [{ eventTypes: ['order.*', 'refund.created'], enabled: true }],
});

describe(putConsumerRequestSchema.shape.name, { description: `For people, at most ${MAX_CONSUMER_NAME_LENGTH} characters.` });
describe(consumerMetadataSchema, {
  description: `Strings by name, for the tenant's own use: at most ${MAX_CONSUMER_METADATA_ENTRIES} entries and ${MAX_CONSUMER_METADATA_BYTES} bytes of keys and values.`,
});
describe(putConsumerRequestSchema, {
  description: 'The whole consumer: a field left out is removed.',
  examples: [{ name: 'Acme Corp', metadata: { plan: 'pro' } }],
});

describe(recoverRequestSchema.shape.since, { description: 'Start of the window of event acceptance times; not in the future.' });
describe(recoverRequestSchema.shape.until, { description: 'End of the window, after `since`; defaults to now.' });
describe(recoverRequestSchema, {
  description: 'Re-send every exhausted delivery to this subscription of the events accepted in the window.',
  examples: [{ since: '2026-03-01T00:00:00Z', until: '2026-03-01T06:00:00Z' }],
});

describe(replayRequestSchema.shape.subscriptionId, {
  description: 'Deliver again to this subscription only; without it, to every matching subscription.',
});
describe(replayRequestSchema, {
  description: 'Optional: the whole body may be left out.',
  examples: [{ subscriptionId: API_EXAMPLES.subscriptionId }],
});

describe(paginationQuerySchema.shape.limit, { description: 'Page size, 1..100.' });
describe(paginationQuerySchema.shape.cursor, { description: 'The `cursor` of the previous page; absent from the last page.' });

describe(deliveryStatusSchema, {
  description:
    '"exhausted": no attempt will follow, because the schedule ran out or the failure is permanent; "skipped": the subscription was disabled when the delivery came due.',
});
describe(subscriptionDeliveriesQuerySchema.shape.status, { description: 'Only delivery records in this status.' });
describe(subscriptionDeliveriesQuerySchema.shape.since, { description: 'Only records of events accepted at or after this time.' });
describe(subscriptionDeliveriesQuerySchema.shape.until, { description: 'Only records of events accepted at or before this time.' });
