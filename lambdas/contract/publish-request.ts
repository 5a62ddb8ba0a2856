import * as z from 'zod/mini';
import { isValidEventType, MAX_EVENT_TYPE_LENGTH } from '../core/event-types';
import { CONSUMER_ID_PATTERN } from '../core/model';
import '../core/zod-english';

/**
 * The body of `POST /v1/events`, in zod's tree-shakable "mini" build: the ingest function loads
 * only this schema and the queue messages, and the mini build keeps about 70 KB and 10 ms out of
 * each cold start. lambdas/contract/request-docs.ts adds the descriptions and examples the OpenAPI
 * document shows; they never change what a schema accepts.
 */

export const eventTypeSchema = z
  .string()
  .check(
    z.maxLength(MAX_EVENT_TYPE_LENGTH),
    z.refine(isValidEventType, 'must be dot-separated words of letters, digits, "_" or "-", 1..128 characters'),
  );

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
export const idempotencyKeySchema = z.string().check(z.minLength(1), z.maxLength(MAX_IDEMPOTENCY_KEY_LENGTH));

/** A consumer id as tenants choose it (lambdas/core/model.ts). */
export const consumerIdSchema = z.string().check(z.regex(CONSUMER_ID_PATTERN, 'must be 1 to 64 of the characters A-Z a-z 0-9 . _ : -'));

export const publishEventRequestSchema = z.strictObject({
  type: eventTypeSchema,
  data: z.unknown().check(z.refine((value) => value !== undefined, 'is required')),
  idempotencyKey: z.optional(idempotencyKeySchema),
  consumerId: z.optional(consumerIdSchema),
  subscriptionId: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  broadcast: z.optional(z.boolean()),
});
export type PublishEventRequest = z.infer<typeof publishEventRequestSchema>;
