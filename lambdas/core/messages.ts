import * as z from 'zod/mini';
import './zod-english';

/**
 * Queue messages carry ids and small metadata, versioned and validated when read. The event's
 * data rides along when it is small; otherwise the consumer reads it from the event store.
 */
export const INLINE_DATA_LIMIT_BYTES = 60 * 1024;

const text = () => z.string().check(z.minLength(1));
const count = () => z.int().check(z.minimum(0));

const common = {
  v: z.literal(1),
  tenantId: text(),
  eventId: text(),
  eventType: text(),
  createdAt: text(),
  run: text(),
  data: z.optional(z.unknown()),
  hasData: z.boolean(),
};

export const fanoutMessageSchema = z.strictObject({
  ...common,
  /** A replay to one subscription only. */
  subscriptionId: z.optional(text()),
  /** Where a large fan-out continues, when one invocation handed over part of it. */
  cursor: z.optional(text()),
});
export type FanoutMessage = z.infer<typeof fanoutMessageSchema>;

/**
 * A recovery: re-send a subscription's exhausted deliveries of events accepted in [since, until]
 * (epoch ms). Fan-out pages through the delivery records, so an API call never waits on the count.
 */
const recoverMessageSchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('recover'),
  tenantId: text(),
  subscriptionId: text(),
  since: count(),
  until: count(),
  run: text(),
  cursor: z.optional(text()),
});
export type RecoverMessage = z.infer<typeof recoverMessageSchema>;

/** Everything the fan-out queue carries: an event to fan out, or a recovery. */
export const fanoutQueueMessageSchema = z.union([fanoutMessageSchema, recoverMessageSchema]);
export type FanoutQueueMessage = z.infer<typeof fanoutQueueMessageSchema>;

export const deliveryMessageSchema = z.strictObject({
  ...common,
  subscriptionId: text(),
  /** The subscription version fan-out saw; a cached subscription older than this is re-read. */
  subscriptionVersion: count(),
});
export type DeliveryMessage = z.infer<typeof deliveryMessageSchema>;

export class MalformedMessageError extends Error {
  override name = 'MalformedMessageError';
}

export const parseMessage = <T>(schema: z.core.$ZodType<T>, body: string): T => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedMessageError('message body is not JSON');
  }
  const parsed = z.safeParse(schema, json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new MalformedMessageError(`message does not match the schema: ${issues.join('; ')}`);
  }
  return parsed.data;
};

/** Data inline when its JSON is small enough, so most consumers need no event-store read. */
export const inlineData = (data: unknown): { data?: unknown; hasData: boolean } =>
  Buffer.byteLength(JSON.stringify(data) ?? 'null') <= INLINE_DATA_LIMIT_BYTES
    ? { data, hasData: true }
    : { hasData: false };
