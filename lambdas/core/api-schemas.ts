import { z } from 'zod';
import { isValidEventType, isValidEventTypeFilter, MAX_EVENT_TYPE_LENGTH } from './event-types';

/**
 * Request and response bodies of the public API. Requests are strict: an unknown field is more
 * likely a typo than an intent, so it is refused rather than ignored.
 */

export const eventTypeSchema = z
  .string()
  .max(MAX_EVENT_TYPE_LENGTH)
  .refine(isValidEventType, 'must be dot-separated words of letters, digits, "_" or "-", 1..128 characters');

const eventTypeFilterSchema = z
  .string()
  .max(MAX_EVENT_TYPE_LENGTH + 2)
  .refine(isValidEventTypeFilter, 'must be an event type, a prefix wildcard such as "order.*", or "*"');

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
export const idempotencyKeySchema = z.string().min(1).max(MAX_IDEMPOTENCY_KEY_LENGTH);

export const publishEventRequestSchema = z.strictObject({
  type: eventTypeSchema,
  data: z.unknown().refine((value) => value !== undefined, 'is required'),
  idempotencyKey: idempotencyKeySchema.optional(),
});
export type PublishEventRequest = z.infer<typeof publishEventRequestSchema>;

export const publishEventResponseSchema = z.object({
  id: z.string(),
  type: z.string(),
  createdAt: z.string(),
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

const urlSchema = z.string().min(1).max(2048);
const eventTypesSchema = z.array(eventTypeFilterSchema).min(1).max(100);
const descriptionSchema = z.string().max(500);
const rateLimitSchema = z.number().int().min(1).max(10_000);

export const createSubscriptionRequestSchema = z.strictObject({
  url: urlSchema,
  eventTypes: eventTypesSchema,
  description: descriptionSchema.optional(),
  headers: headersSchema.optional(),
  rateLimitPerSecond: rateLimitSchema.optional(),
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
  .refine((body) => Object.keys(body).length > 0, 'at least one field must be given');
export type UpdateSubscriptionRequest = z.infer<typeof updateSubscriptionRequestSchema>;

export const subscriptionResponseSchema = z.object({
  id: z.string(),
  url: z.string(),
  eventTypes: z.array(z.string()),
  description: z.string().optional(),
  headers: z.record(z.string(), z.string()),
  rateLimitPerSecond: z.number().optional(),
  enabled: z.boolean(),
  disabledReason: z.string().optional(),
  disabledAt: z.string().optional(),
  /** Since when every attempt has failed; absent while the endpoint is healthy. */
  failingSince: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Present only in the answers to create and rotate-secret. */
  secret: z.string().optional(),
});
export type SubscriptionResponse = z.infer<typeof subscriptionResponseSchema>;

export const recoverRequestSchema = z
  .strictObject({
    since: z.iso.datetime({ offset: true }),
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((body) => body.until === undefined || Date.parse(body.until) > Date.parse(body.since), {
    message: 'until must be after since',
    path: ['until'],
  });

export const replayRequestSchema = z.strictObject({ subscriptionId: z.string().min(1).optional() });

export const paginationQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(2048).optional(),
});

export const deliveryStatusSchema = z.enum(['pending', 'delivered', 'retrying', 'exhausted', 'skipped']);

export const subscriptionDeliveriesQuerySchema = paginationQuerySchema.extend({
  status: deliveryStatusSchema.optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
});
