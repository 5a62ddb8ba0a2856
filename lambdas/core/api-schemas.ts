import * as z from 'zod';
import { isValidEventTypeFilter, MAX_EVENT_TYPE_LENGTH } from './event-types';
import { eventTypeSchema, idempotencyKeySchema, MAX_IDEMPOTENCY_KEY_LENGTH, publishEventRequestSchema, type PublishEventRequest } from './publish-request';

export { eventTypeSchema, idempotencyKeySchema, MAX_IDEMPOTENCY_KEY_LENGTH, publishEventRequestSchema, type PublishEventRequest };

/**
 * Request and response bodies of the public API. Requests are strict: an unknown field is more
 * likely a typo than an intent, so it is refused rather than ignored.
 *
 * The OpenAPI document (lambdas/core/openapi.ts) is generated from these schemas: `.meta()` adds
 * descriptions and examples to it and never changes what a schema accepts. A rule that only a
 * `refine()` checks cannot be expressed in JSON Schema; where it matters, `pattern` in the meta
 * states it for readers (test/unit/core/openapi.test.ts holds the two to the same answers).
 */

/** Values the examples of the document share, so that they tell one consistent story. */
export const API_EXAMPLES = {
  eventId: 'evt_01JNP8X3K5N2B7C4D9M6Q0R1ST',
  subscriptionId: 'sub_01JNP7YV0A4H6T8W2E5R7Y9QZB',
  replayId: 'run_01JNPA2B6S2D4F6G8H0J2K4M6N',
  recoveryId: 'run_01JNPB3C7T3E5G7J9K1M3N5P7Q',
  secret: 'whsec_ZXhhbXBsZS1zaWduaW5nLXNlY3JldC0zMi1ieXRlcyE=', // base64 of "example-signing-secret-32-bytes!"
  createdAt: '2026-03-01T12:00:00.000Z',
  updatedAt: '2026-03-01T12:30:00.000Z',
  url: 'https://hooks.example.com/orders',
} as const;

/** A timestamp as the API writes it: ISO 8601 in UTC (`Date.prototype.toISOString`). */
const timestampSchema = z.string().meta({ format: 'date-time' });

const eventTypeFilterSchema = z
  .string()
  .max(MAX_EVENT_TYPE_LENGTH + 2)
  .refine(isValidEventTypeFilter, 'must be an event type, a prefix wildcard such as "order.*", or "*"')
  .meta({
    description: 'An exact event type, a prefix wildcard ("order.*" matches "order.created" and "order.line.added", not "order"), or "*".',
    pattern: '^(\\*|[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*(\\.\\*)?)$',
    examples: ['order.*'],
  });

/**
 * Describes a schema built with zod/mini (which has no `.meta()`): the same global registry
 * `.meta()` writes to, which the OpenAPI document reads.
 */
const describe = <T extends z.core.$ZodType>(schema: T, meta: z.core.GlobalMeta): T => {
  z.globalRegistry.add(schema, meta);
  return schema;
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
describe(publishEventRequestSchema.shape.data, { description: 'Any JSON value (null included): the payload every subscriber receives.' });
describe(publishEventRequestSchema.shape.idempotencyKey, {
  description: 'The same as the Idempotency-Key header, for clients that cannot set headers; send one of the two.',
});
describe(publishEventRequestSchema, {
  description: 'An event to deliver to every enabled subscription whose filters match its type. Types starting with "webhook." are reserved.',
  examples: [{ type: 'order.created', data: { orderId: 'ord_1042', total: 129.5, currency: 'EUR' } }],
});

export const publishEventResponseSchema = z
  .object({
    id: z.string().meta({ description: 'The event id, `evt_<ULID>`.', examples: [API_EXAMPLES.eventId] }),
    type: z.string(),
    createdAt: timestampSchema,
  })
  .meta({
    description: 'The event was stored and handed to fan-out. A repeat with the same Idempotency-Key answers this body again.',
    examples: [{ id: API_EXAMPLES.eventId, type: 'order.created', createdAt: API_EXAMPLES.createdAt }],
  });
export type PublishEventResponse = z.infer<typeof publishEventResponseSchema>;

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

const headersSchema = z
  .record(z.string(), z.string())
  .meta({
    description:
      'Extra headers sent with every delivery: at most 20, names are HTTP tokens; "webhook-*" and the headers the sender sets itself (content-type, host, ...) are refused.',
    examples: [{ 'x-team': 'billing' }],
  })
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > 20) ctx.addIssue({ code: 'custom', message: 'at most 20 headers' });
    for (const name of names) {
      const lower = name.toLowerCase();
      if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', message: `"${name}" is not a valid header name` });
      else if (lower.startsWith('webhook-') || RESERVED_HEADER_NAMES.includes(lower)) {
        ctx.addIssue({ code: 'custom', message: `header "${name}" is set by the sender and cannot be overridden` });
      }
      if (!HEADER_VALUE.test(headers[name] ?? '')) {
        ctx.addIssue({ code: 'custom', message: `header "${name}" has an invalid value` });
      }
    }
  });

const urlSchema = z.string().min(1).max(2048).meta({
  description: 'Where deliveries are POSTed: https (http only where the deployment allows it), a public address unless allowed by the network policy, no credentials.',
  examples: [API_EXAMPLES.url],
});
const eventTypesSchema = z.array(eventTypeFilterSchema).min(1).max(100).meta({ description: 'Filters: an event is delivered when any of them matches its type.' });
const descriptionSchema = z.string().max(500).meta({ description: 'Free text for people.' });
const rateLimitSchema = z.number().int().min(1).max(10_000).meta({
  description: 'At most this many delivery attempts per second to this subscription, across all delivery function instances.',
});

export const createSubscriptionRequestSchema = z
  .strictObject({
    url: urlSchema,
    eventTypes: eventTypesSchema,
    description: descriptionSchema.optional(),
    headers: headersSchema.optional(),
    rateLimitPerSecond: rateLimitSchema.optional(),
  })
  .meta({
    description: 'A new subscription. Its host is resolved now and every address it resolves to must be allowed.',
    examples: [{ url: API_EXAMPLES.url, eventTypes: ['order.*'], description: 'Order service', headers: { 'x-team': 'billing' } }],
  });
export type CreateSubscriptionRequest = z.infer<typeof createSubscriptionRequestSchema>;

export const updateSubscriptionRequestSchema = z
  .strictObject({
    url: urlSchema.optional(),
    eventTypes: eventTypesSchema.optional(),
    description: descriptionSchema.nullable().optional(),
    headers: headersSchema.optional(),
    rateLimitPerSecond: rateLimitSchema.nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'at least one field must be given')
  .meta({
    description:
      'The fields to change, at least one. `null` clears description or rateLimitPerSecond; `enabled: true` re-enables a subscription disabled for any reason.',
    examples: [{ eventTypes: ['order.*', 'refund.created'], enabled: true }],
  });
export type UpdateSubscriptionRequest = z.infer<typeof updateSubscriptionRequestSchema>;

export const subscriptionResponseSchema = z
  .object({
    id: z.string().meta({ description: 'The subscription id, `sub_<ULID>`.', examples: [API_EXAMPLES.subscriptionId] }),
    url: z.string(),
    eventTypes: z.array(z.string()),
    description: z.string().optional(),
    headers: z.record(z.string(), z.string()),
    rateLimitPerSecond: z.number().optional(),
    enabled: z.boolean(),
    disabledReason: z.string().optional().meta({
      description: 'Why it is disabled: "disabled_by_user", "endpoint_gone" (the receiver answered 410) or "failing_too_long".',
    }),
    disabledAt: timestampSchema.optional(),
    /** Since when every attempt has failed; absent while the endpoint is healthy. */
    failingSince: timestampSchema.optional().meta({ description: 'Since when every attempt has failed; absent while the endpoint is healthy.' }),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
    /** Present only in the answers to create and rotate-secret. */
    secret: z.string().optional().meta({
      description: 'The signing secret (`whsec_...`). Present only in the answers to create and rotate-secret.',
      examples: [API_EXAMPLES.secret],
    }),
  })
  .meta({
    description: 'A subscription as clients see it: never its secrets, except in the answer that made one.',
    examples: [
      {
        id: API_EXAMPLES.subscriptionId,
        url: API_EXAMPLES.url,
        eventTypes: ['order.*'],
        description: 'Order service',
        headers: { 'x-team': 'billing' },
        enabled: true,
        createdAt: API_EXAMPLES.createdAt,
        updatedAt: API_EXAMPLES.updatedAt,
      },
    ],
  });
export type SubscriptionResponse = z.infer<typeof subscriptionResponseSchema>;

export const recoverRequestSchema = z
  .strictObject({
    since: z.iso.datetime({ offset: true }).meta({ description: 'Start of the window of event acceptance times; not in the future.' }),
    until: z.iso
      .datetime({ offset: true })
      .optional()
      .meta({ description: 'End of the window, after `since`; defaults to now.' }),
  })
  .refine((body) => body.until === undefined || Date.parse(body.until) > Date.parse(body.since), {
    message: 'until must be after since',
    path: ['until'],
  })
  .meta({
    description: 'Re-send every exhausted delivery to this subscription of the events accepted in the window.',
    examples: [{ since: '2026-03-01T00:00:00Z', until: '2026-03-01T06:00:00Z' }],
  });

export const replayRequestSchema = z
  .strictObject({
    subscriptionId: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'Deliver again to this subscription only; without it, to every matching subscription.' }),
  })
  .meta({
    description: 'Optional: the whole body may be left out.',
    examples: [{ subscriptionId: API_EXAMPLES.subscriptionId }],
  });

export const paginationQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: 'Page size, 1..100.' }),
  cursor: z
    .string()
    .min(1)
    .max(2048)
    .optional()
    .meta({ description: 'The `cursor` of the previous page; absent from the last page.' }),
});

export const deliveryStatusSchema = z.enum(['pending', 'delivered', 'retrying', 'exhausted', 'skipped']).meta({
  description:
    '"exhausted": no attempt will follow, because the schedule ran out or the failure is permanent; "skipped": the subscription was disabled when the delivery came due.',
});

export const subscriptionDeliveriesQuerySchema = paginationQuerySchema.extend({
  status: deliveryStatusSchema.optional().meta({ description: 'Only delivery records in this status.' }),
  since: z.iso.datetime({ offset: true }).optional().meta({ description: 'Only records of events accepted at or after this time.' }),
  until: z.iso.datetime({ offset: true }).optional().meta({ description: 'Only records of events accepted at or before this time.' }),
});

/* Responses the handlers build in lambdas/api/views.ts and the routes; held to them by the tests. */

const pageCursorSchema = z.string().meta({ description: 'Pass as `?cursor=` for the next page; absent on the last page.' });

export const subscriptionListResponseSchema = z
  .object({ items: z.array(subscriptionResponseSchema), cursor: pageCursorSchema.optional() })
  .meta({
    description: 'A page of subscriptions, oldest first.',
    examples: [
      {
        items: [
          {
            id: API_EXAMPLES.subscriptionId,
            url: API_EXAMPLES.url,
            eventTypes: ['order.*'],
            headers: {},
            enabled: true,
            createdAt: API_EXAMPLES.createdAt,
            updatedAt: API_EXAMPLES.createdAt,
          },
        ],
        cursor: 'c3ViXzAxSk5QN1lWMEE0SDZUOFcyRTVSN1k5UVpC',
      },
    ],
  });

export const attemptLogSchema = z.object({
  attempt: z.number().int().min(1).meta({ description: 'Attempt number in this run, from 1.' }),
  at: timestampSchema,
  outcome: z.enum(['delivered', 'failed']),
  statusCode: z.number().int().min(100).max(599).optional().meta({ description: "The receiver's HTTP status, when it answered." }),
  durationMs: z.number().min(0),
  reason: z
    .string()
    .optional()
    .meta({
      description:
        'Why it failed: redirect, client_error, server_error, throttled, gone, timeout, connection, dns, tls, blocked_target or invalid_target.',
    }),
  error: z.string().optional().meta({ description: 'The transport error, when the receiver did not answer.' }),
  responseSnippet: z.string().optional().meta({ description: 'The first bytes of a failed response.' }),
  nextAttemptAt: timestampSchema.optional(),
});

export const deliveryResponseSchema = z
  .object({
    eventId: z.string(),
    subscriptionId: z.string(),
    eventType: z.string(),
    status: deliveryStatusSchema,
    attempts: z.number().int().min(0).meta({ description: 'Attempts made in the current run (a replay or recovery starts a new run).' }),
    lastAttemptAt: timestampSchema.optional(),
    nextAttemptAt: timestampSchema.optional().meta({ description: 'When the next attempt is due; only while `retrying`.' }),
    attemptLog: z.array(attemptLogSchema).meta({ description: 'The most recent attempts, oldest first, at most 20.' }),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .meta({
    description: 'The delivery record of one event to one subscription.',
    examples: [
      {
        eventId: API_EXAMPLES.eventId,
        subscriptionId: API_EXAMPLES.subscriptionId,
        eventType: 'order.created',
        status: 'retrying',
        attempts: 1,
        lastAttemptAt: '2026-03-01T12:00:01.000Z',
        nextAttemptAt: '2026-03-01T12:00:31.000Z',
        attemptLog: [
          {
            attempt: 1,
            at: '2026-03-01T12:00:01.000Z',
            outcome: 'failed',
            statusCode: 503,
            durationMs: 84,
            reason: 'throttled',
            responseSnippet: 'upstream unavailable',
            nextAttemptAt: '2026-03-01T12:00:31.000Z',
          },
        ],
        createdAt: '2026-03-01T12:00:01.000Z',
        updatedAt: '2026-03-01T12:00:01.000Z',
      },
    ],
  });

export const deliveryListResponseSchema = z
  .object({ items: z.array(deliveryResponseSchema), cursor: pageCursorSchema.optional() })
  .meta({
    description: 'A page of delivery records.',
    examples: [
      {
        items: [
          {
            eventId: API_EXAMPLES.eventId,
            subscriptionId: API_EXAMPLES.subscriptionId,
            eventType: 'order.created',
            status: 'delivered',
            attempts: 1,
            lastAttemptAt: '2026-03-01T12:00:01.000Z',
            attemptLog: [{ attempt: 1, at: '2026-03-01T12:00:01.000Z', outcome: 'delivered', statusCode: 200, durationMs: 42 }],
            createdAt: '2026-03-01T12:00:01.000Z',
            updatedAt: '2026-03-01T12:00:01.000Z',
          },
        ],
      },
    ],
  });

const deliveryCount = z.number().int().min(1).optional();

export const eventResponseSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    createdAt: timestampSchema,
    data: z.unknown().meta({ description: 'The payload as published.' }),
    deliveries: z
      .object({
        pending: deliveryCount,
        delivered: deliveryCount,
        retrying: deliveryCount,
        exhausted: deliveryCount,
        skipped: deliveryCount,
        complete: z.boolean().meta({ description: 'False when the tenant has more than 1000 subscriptions and only the first were counted.' }),
      })
      .meta({ description: 'How many delivery records of the event are in each status; a status with none is left out.' }),
  })
  .meta({
    description: 'An event and a count of its deliveries by status.',
    examples: [
      {
        id: API_EXAMPLES.eventId,
        type: 'order.created',
        createdAt: API_EXAMPLES.createdAt,
        data: { orderId: 'ord_1042', total: 129.5, currency: 'EUR' },
        deliveries: { delivered: 2, retrying: 1, complete: true },
      },
    ],
  });

export const replayResponseSchema = z
  .object({
    eventId: z.string(),
    replayId: z.string().meta({ description: 'Names this replay (`run_<ULID>`); deliveries of it start a new run.' }),
    subscriptionId: z.string().optional(),
  })
  .meta({
    description: 'The replay was handed to fan-out.',
    examples: [{ eventId: API_EXAMPLES.eventId, replayId: API_EXAMPLES.replayId, subscriptionId: API_EXAMPLES.subscriptionId }],
  });

export const recoverResponseSchema = z
  .object({
    subscriptionId: z.string(),
    recoveryId: z.string().meta({ description: 'Names this recovery (`run_<ULID>`).' }),
    since: z.string().meta({ format: 'date-time', description: 'As given.' }),
    until: timestampSchema.meta({ description: 'As given, or the time of the request.' }),
  })
  .meta({
    description: 'The recovery was handed to fan-out, which re-sends the exhausted deliveries of the window.',
    examples: [
      {
        subscriptionId: API_EXAMPLES.subscriptionId,
        recoveryId: API_EXAMPLES.recoveryId,
        since: '2026-03-01T00:00:00Z',
        until: '2026-03-01T06:00:00.000Z',
      },
    ],
  });

export const healthResponseSchema = z.object({ status: z.literal('ok') }).meta({ examples: [{ status: 'ok' }] });

export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'A stable snake_case code to branch on.', examples: ['validation_failed'] }),
      message: z.string().meta({ description: 'A sentence for people; may change.' }),
    }),
  })
  .meta({
    description: 'Every error the functions answer (API Gateway\'s own 429 aside).',
    examples: [{ error: { code: 'validation_failed', message: 'the request body is invalid: eventTypes: Too small: expected array to have >=1 items' } }],
  });
