import * as z from 'zod/mini';
import './zod-english';

/**
 * Queue messages carry ids and small metadata, versioned and validated when read. The event's
 * data rides along (as its JSON text, `dataJson`) when it is small; otherwise the consumer reads it
 * from the event store.
 *
 * Readers are tolerant: a field they do not know is dropped, not refused, so during a deploy a
 * function still on the previous version processes the messages its updated neighbours send with
 * a new field (as it processed them before that field existed). A change that an older reader
 * must not ignore raises the version `v`, which every reader checks.
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
  /**
   * The consumer the event was published to: fan-out reads that consumer's subscriptions, delivery
   * reads its subscription there. Absent for the tenant's own (and in messages sent before consumers).
   */
  consumerId: z.optional(text()),
  dataJson: z.optional(z.string()),
  /** Messages sent before data was carried as text hold the parsed value here; read, never written. */
  data: z.optional(z.unknown()),
  hasData: z.boolean(),
};

/**
 * A message as its consumers see it: data as JSON text only. Text written before data was kept
 * as text is the JSON.stringify of the value, as those versions delivered it.
 */
const withDataText = <T extends { dataJson?: string; data?: unknown; hasData: boolean }>({ data, ...message }: T): Omit<T, 'data'> =>
  message.hasData && message.dataJson === undefined ? { ...message, dataJson: JSON.stringify(data ?? null) } : message;

export const fanoutMessageSchema = z.pipe(
  z.object({
    ...common,
    /** To one subscription only: a replay (whatever its filters) or an event published to it (if they match). */
    subscriptionId: z.optional(text()),
    /** Where a large fan-out continues, when one invocation handed over part of it. */
    cursor: z.optional(text()),
    /**
     * To the tenant's own subscriptions and to every consumer's: fan-out sends each consumer a
     * message of its own (this one with its `consumerId`, without `broadcast`). Never with `consumerId`.
     */
    broadcast: z.optional(z.literal(true)),
    /** Where a broadcast's walk of the consumers continues (the tenant's own subscriptions are done). */
    consumerCursor: z.optional(text()),
  }),
  z.transform(withDataText),
);
export type FanoutMessage = z.infer<typeof fanoutMessageSchema>;

/**
 * A recovery: re-send a subscription's exhausted deliveries of events accepted in [since, until]
 * (epoch ms). Fan-out pages through the delivery records, so an API call never waits on the count.
 */
const recoverMessageSchema = z.object({
  v: z.literal(1),
  kind: z.literal('recover'),
  tenantId: text(),
  /** The consumer the subscription belongs to; absent for the tenant's own. */
  consumerId: z.optional(text()),
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

export const deliveryMessageSchema = z.pipe(
  z.object({
    ...common,
    subscriptionId: text(),
    /** The subscription version fan-out saw; a cached subscription older than this is re-read. */
    subscriptionVersion: count(),
    /** Split out of a group after an attempt or a deferral: its delivery record may exist already. */
    followsAttempt: z.optional(z.literal(true)),
  }),
  z.transform(withDataText),
);
export type DeliveryMessage = z.infer<typeof deliveryMessageSchema>;

/**
 * Deliveries of an event's first run are sent in groups: one message for up to this many
 * subscriptions, so the queue carries (and bills) a tenth of the messages, and the first attempts
 * that succeed are logged in one item per group (see docs/decisions.md).
 */
export const DELIVERY_GROUP_SIZE = 10;

export const deliveryGroupMessageSchema = z.pipe(
  z.object({
    ...common,
    /** In subscription-id order, as fan-out reads them; the first one names the group. */
    subscriptions: z
      .array(z.object({ id: text(), version: count() }))
      .check(z.minLength(1), z.maxLength(DELIVERY_GROUP_SIZE)),
    /**
     * The group's subscriptions as fan-out read them, sealed (lambdas/core/subscription-snapshot.ts):
     * delivery uses them instead of reading. Absent when fan-out had no key or the message would be too large.
     */
    sealed: z.optional(text()),
  }),
  z.transform(withDataText),
);
export type DeliveryGroupMessage = z.infer<typeof deliveryGroupMessageSchema>;

/**
 * Everything the delivery queue carries: a group of an event's first run, or one delivery. Groups
 * are most of the traffic, so they are tried first: a union builds the issues of every option it
 * tries and rejects.
 */
export const deliveryQueueMessageSchema = z.union([deliveryGroupMessageSchema, deliveryMessageSchema]);
export type DeliveryQueueMessage = z.infer<typeof deliveryQueueMessageSchema>;

export const isGroupMessage = (message: DeliveryQueueMessage): message is DeliveryGroupMessage => 'subscriptions' in message;

/**
 * SQS takes only #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF in a message body
 * and refuses the whole message otherwise. JSON.stringify escapes control characters and lone
 * surrogates but leaves U+FFFE and U+FFFF as they are, and event data may hold them; emulators
 * that check UTF-16 units (fauxqs) also refuse surrogate pairs. Outside that range every unit is
 * written as a \u escape: the same JSON value, in characters every queue accepts (at most 3x
 * larger, which the 60 KiB inline-data limit leaves room for).
 */
const SQS_UNSAFE_UNITS = /[^\t\n\r\x20-\ud7ff\ue000-\ufffd]/g;

/** A queue message's body as it is sent (and billed). */
export const toMessageBody = (message: unknown): string =>
  JSON.stringify(message).replace(SQS_UNSAFE_UNITS, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);

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

/** Data inline when its JSON text is small enough, so most consumers need no event-store read. */
export const inlineData = (dataJson: string): Payload =>
  Buffer.byteLength(dataJson) <= INLINE_DATA_LIMIT_BYTES ? { dataJson, hasData: true } : { hasData: false };

/** What identifies an event's run in every delivery message. */
export type Envelope = Pick<FanoutMessage, 'tenantId' | 'consumerId' | 'eventId' | 'eventType' | 'createdAt' | 'run'>;
/** The event's data as a delivery message carries it: inline, or to be read from the event store. */
export type Payload = Pick<DeliveryMessage, 'dataJson' | 'hasData'>;

export const deliveryEnvelope = (message: Envelope) => ({
  v: 1 as const,
  tenantId: message.tenantId,
  ...(message.consumerId === undefined ? {} : { consumerId: message.consumerId }),
  eventId: message.eventId,
  eventType: message.eventType,
  createdAt: message.createdAt,
  run: message.run,
});

/** The delivery message of one event (as the fan-out message describes it) to one subscription. */
export const deliveryMessage = (message: Envelope, payload: Payload, subscription: { id: string; version: number }): DeliveryMessage => ({
  ...deliveryEnvelope(message),
  subscriptionId: subscription.id,
  subscriptionVersion: subscription.version,
  ...payload,
});

/** The group message of an event's first run to these subscriptions (at most DELIVERY_GROUP_SIZE, in id order). */
export const deliveryGroupMessage = (
  message: Envelope,
  payload: Payload,
  subscriptions: readonly { id: string; version: number }[],
): DeliveryGroupMessage => ({
  ...deliveryEnvelope(message),
  subscriptions: subscriptions.map((s) => ({ id: s.id, version: s.version })),
  ...payload,
});

/** The subscriptions a list of messages goes to, in order. */
export const subscriptionIdsIn = (messages: readonly DeliveryQueueMessage[]): string[] =>
  messages.flatMap((message) => (isGroupMessage(message) ? message.subscriptions.map((s) => s.id) : [message.subscriptionId]));

/** Deliveries a list of messages stands for: a group counts its subscriptions. */
export const deliveriesIn = (messages: readonly DeliveryQueueMessage[]): number =>
  messages.reduce((sum, message) => sum + (isGroupMessage(message) ? message.subscriptions.length : 1), 0);
