import * as z from 'zod/mini';
import { isValidEventTypeFilter, MAX_EVENT_TYPE_LENGTH } from '../core/event-types';
import { MAX_TRANSFORMATION_LENGTH } from '../core/transformation';
import { consumerIdSchema, eventTypeSchema, idempotencyKeySchema, MAX_IDEMPOTENCY_KEY_LENGTH, publishEventRequestSchema, type PublishEventRequest } from './publish-request';
import '../core/zod-english';

export { consumerIdSchema, eventTypeSchema, idempotencyKeySchema, MAX_IDEMPOTENCY_KEY_LENGTH, publishEventRequestSchema, type PublishEventRequest };

/**
 * What the public API accepts: request bodies and query strings, in zod's tree-shakable "mini"
 * build, which the api function validates with. Requests are strict: an unknown field is more
 * likely a typo than an intent, so it is refused rather than ignored.
 *
 * Only the rules live here. The descriptions and examples the OpenAPI document adds are registered
 * by lambdas/contract/request-docs.ts, and the answers are in lambdas/contract/response-schemas.ts: the api
 * function serves the document built from them at build time, so neither is in its bundle.
 */

/* The parts are exported for lambdas/contract/request-docs.ts to describe. */

export const eventTypeFilterSchema = z
  .string()
  .check(
    z.maxLength(MAX_EVENT_TYPE_LENGTH + 2),
    z.refine(isValidEventTypeFilter, 'must be an event type, a prefix wildcard such as "order.*", or "*"'),
  );

/** Header names the product sets itself; a subscription can never override them. */
export const RESERVED_HEADER_NAMES = [
  'content-type',
  'content-length',
  'host',
  'user-agent',
  'connection',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]{0,1000}$/;

/**
 * How many headers, how many bytes, and names equal but for case are checked after these rules, each
 * with its own error code (lambdas/core/subscription-limits.ts): the counts are the deployment's.
 */
export const headersSchema = z.record(z.string(), z.string()).check(
  z.superRefine((headers, ctx) => {
    for (const name of Object.keys(headers)) {
      const lower = name.toLowerCase();
      if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', message: `"${name}" is not a valid header name` });
      else if (lower.startsWith('webhook-') || RESERVED_HEADER_NAMES.includes(lower)) {
        ctx.addIssue({ code: 'custom', message: `header "${name}" is set by the sender and cannot be overridden` });
      }
      if (!HEADER_VALUE.test(headers[name] ?? '')) {
        ctx.addIssue({ code: 'custom', message: `header "${name}" has an invalid value` });
      }
    }
  }),
);

export const urlSchema = z.string().check(z.minLength(1), z.maxLength(2048));
/** At least one; how many at most is the deployment's limit (lambdas/core/subscription-limits.ts). */
export const eventTypesSchema = z.array(eventTypeFilterSchema).check(z.minLength(1));
export const descriptionSchema = z.string().check(z.maxLength(500));
export const rateLimitSchema = z.number().check(z.int(), z.minimum(1), z.maximum(10_000));
/** Whether it compiles is checked after these rules, with its own error code (invalid_transformation). */
export const transformationSchema = z.string().check(z.minLength(1), z.maxLength(MAX_TRANSFORMATION_LENGTH));
/** An object here; its grammar and caps are checked after, with the path of the first error (lambdas/core/event-pattern-schema.ts). */
export const filterSchema = z.record(z.string(), z.unknown());

export const createSubscriptionRequestSchema = z.strictObject({
  consumerId: z.optional(consumerIdSchema),
  url: urlSchema,
  eventTypes: eventTypesSchema,
  filter: z.optional(filterSchema),
  description: z.optional(descriptionSchema),
  headers: z.optional(headersSchema),
  rateLimitPerSecond: z.optional(rateLimitSchema),
  transformation: z.optional(transformationSchema),
});
export type CreateSubscriptionRequest = z.infer<typeof createSubscriptionRequestSchema>;

export const updateSubscriptionRequestSchema = z
  .strictObject({
    url: z.optional(urlSchema),
    eventTypes: z.optional(eventTypesSchema),
    filter: z.optional(z.nullable(filterSchema)),
    description: z.optional(z.nullable(descriptionSchema)),
    headers: z.optional(headersSchema),
    rateLimitPerSecond: z.optional(z.nullable(rateLimitSchema)),
    transformation: z.optional(z.nullable(transformationSchema)),
    enabled: z.optional(z.boolean()),
  })
  .check(z.refine((body) => Object.keys(body).length > 0, 'at least one field must be given'));
export type UpdateSubscriptionRequest = z.infer<typeof updateSubscriptionRequestSchema>;

export const MAX_CONSUMER_NAME_LENGTH = 200;
export const MAX_CONSUMER_METADATA_ENTRIES = 20;
export const MAX_CONSUMER_METADATA_BYTES = 1024;

/** At most 20 entries, and 1 KB of keys and values together (UTF-8). */
export const consumerMetadataSchema = z.record(z.string().check(z.minLength(1), z.maxLength(100)), z.string()).check(
  z.refine((metadata) => Object.keys(metadata).length <= MAX_CONSUMER_METADATA_ENTRIES, `must have at most ${MAX_CONSUMER_METADATA_ENTRIES} entries`),
  z.refine(
    (metadata) => Object.entries(metadata).reduce((bytes, [key, value]) => bytes + Buffer.byteLength(key) + Buffer.byteLength(value), 0) <= MAX_CONSUMER_METADATA_BYTES,
    `must hold at most ${MAX_CONSUMER_METADATA_BYTES} bytes of keys and values`,
  ),
);

/** `PUT /v1/consumers/{consumerId}`: the whole consumer; a field left out is removed. */
export const putConsumerRequestSchema = z.strictObject({
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_CONSUMER_NAME_LENGTH))),
  metadata: z.optional(consumerMetadataSchema),
});
export type PutConsumerRequest = z.infer<typeof putConsumerRequestSchema>;

/** An event to try a transformation on: one of the tenant's stored events, or one given here. */
export const transformRequestSchema = z
  .strictObject({
    transformation: z.optional(transformationSchema),
    eventId: z.optional(z.string().check(z.minLength(1))),
    event: z.optional(z.strictObject({ type: eventTypeSchema, data: publishEventRequestSchema.shape.data })),
  })
  .check(z.refine((body) => (body.eventId === undefined) !== (body.event === undefined), 'give either eventId or event'));
export type TransformRequest = z.infer<typeof transformRequestSchema>;

export const recoverRequestSchema = z
  .strictObject({
    since: z.iso.datetime({ offset: true }),
    until: z.optional(z.iso.datetime({ offset: true })),
  })
  .check(
    z.refine((body) => body.until === undefined || Date.parse(body.until) > Date.parse(body.since), {
      message: 'until must be after since',
      path: ['until'],
    }),
  );

export const replayRequestSchema = z.strictObject({
  subscriptionId: z.optional(z.string().check(z.minLength(1))),
});

export const paginationQuerySchema = z.object({
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 50),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

export const deliveryStatusSchema = z.enum(['pending', 'delivered', 'retrying', 'exhausted', 'skipped']);

export const subscriptionDeliveriesQuerySchema = z.extend(paginationQuerySchema, {
  status: z.optional(deliveryStatusSchema),
  since: z.optional(z.iso.datetime({ offset: true })),
  until: z.optional(z.iso.datetime({ offset: true })),
});
