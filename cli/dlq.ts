import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { MAX_BATCH_ENTRIES, packEntries } from '../lambdas/aws/sqs-publisher';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS, type StackOutputId } from '../lib/stack-outputs';
import { oneLine } from './errors';

/**
 * Dead-letter queue operations for the operator CLI: look at what is in a DLQ without consuming
 * it, and move it back to the queue it came from. Only plain SQS calls (ReceiveMessage,
 * SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch, GetQueueAttributes), so the
 * same command works on AWS and on the local emulators, which lack StartMessageMoveTask.
 */

export const DLQ_QUEUES = ['fanout', 'delivery'] as const;
export type DlqQueue = (typeof DLQ_QUEUES)[number];

/** The stack outputs holding each pipeline queue and its dead-letter queue. */
export const QUEUE_OUTPUTS: Readonly<Record<DlqQueue, { source: StackOutputId; dlq: StackOutputId }>> = {
  fanout: { source: STACK_OUTPUTS.fanoutQueueUrl, dlq: STACK_OUTPUTS.fanoutDeadLetterQueueUrl },
  delivery: { source: STACK_OUTPUTS.deliveryQueueUrl, dlq: STACK_OUTPUTS.deliveryDeadLetterQueueUrl },
};

/** The message attribute the handlers set when they move a malformed message to the DLQ. */
export const REASON_ATTRIBUTE = 'reason';

/** How long a message received for inspection or redrive stays hidden from other consumers. */
export const HOLD_SECONDS = 30;
/** `dlq list` shows at most this many messages unless told otherwise. */
export const DEFAULT_LIST_MAX = 50;
/** Messages that arrive in the DLQ during a redrive are held back, up to this many, then it stops. */
export const MAX_ARRIVALS_HELD = 100;
/** The text listing shows this many characters of a body. */
export const BODY_PREVIEW_CHARS = 200;

type Sqs = Pick<SQSClient, 'send'>;

export class DlqError extends Error {
  override name = 'DlqError';
}

// ---------------------------------------------------------------------------------------------
// Targeting

export interface DlqTarget {
  queue: DlqQueue;
  stack?: string;
  dlqUrl?: string;
  sourceUrl?: string;
}

/**
 * The DLQ URL and, when `needSource`, the source queue URL: each from its flag when given, else
 * from the stack's outputs. `lookup` is `stackOutput` in the CLI.
 */
export const resolveQueueUrls = async (
  target: DlqTarget,
  needSource: boolean,
  lookup: (stackName: string, outputId: StackOutputId) => Promise<string>,
): Promise<{ dlqUrl: string; sourceUrl?: string }> => {
  const stack = target.stack ?? DEFAULT_STACK_NAME;
  const outputs = QUEUE_OUTPUTS[target.queue];
  const dlqUrl = target.dlqUrl ?? (await lookup(stack, outputs.dlq));
  if (!needSource) return { dlqUrl };
  const sourceUrl = target.sourceUrl ?? (await lookup(stack, outputs.source));
  return { dlqUrl, sourceUrl };
};

// ---------------------------------------------------------------------------------------------
// Pure helpers

export interface DeadLetter {
  messageId: string;
  /** When the message was sent to the queue it was received from (ISO 8601), if SQS said. */
  sentAt: string | null;
  /** SQS's ApproximateReceiveCount, this look included. */
  receiveCount: number | null;
  /** The `reason` attribute a handler set when it moved a malformed message; null otherwise. */
  reason: string | null;
  body: string;
}

export const toDeadLetter = (message: Message): DeadLetter => {
  const sent = Number(message.Attributes?.SentTimestamp);
  const receives = Number(message.Attributes?.ApproximateReceiveCount);
  return {
    messageId: message.MessageId ?? '',
    sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : null,
    receiveCount: Number.isFinite(receives) && receives > 0 ? receives : null,
    reason: message.MessageAttributes?.[REASON_ATTRIBUTE]?.StringValue ?? null,
    body: message.Body ?? '',
  };
};

/** One line of a body for a terminal: control characters blanked, cut at `chars`. */
export const previewBody = (body: string, chars = BODY_PREVIEW_CHARS): string => {
  // eslint-disable-next-line no-control-regex
  const flat = body.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  const codePoints = Array.from(flat);
  if (codePoints.length <= chars) return flat;
  return `${codePoints.slice(0, chars).join('')}... (${Buffer.byteLength(body)} bytes)`;
};

/** The text form of `dlq list`: a header, then two lines per message. */
export const formatDeadLetters = (
  label: string,
  dlqUrl: string,
  messages: readonly DeadLetter[],
  approximateCount: number | null,
): string[] => {
  if (messages.length === 0) {
    return [
      approximateCount === null || approximateCount === 0
        ? `${label} DLQ ${dlqUrl}: empty`
        : `${label} DLQ ${dlqUrl}: no message visible now, about ${approximateCount} in flight (another reader?)`,
    ];
  }
  const about = approximateCount === null ? '' : ` of about ${Math.max(approximateCount, messages.length)}`;
  const lines = [`${label} DLQ ${dlqUrl}: showing ${messages.length}${about} message(s)`];
  for (const message of messages) {
    lines.push(
      `${message.messageId}  sent ${message.sentAt ?? '?'}  receives ${message.receiveCount ?? '?'}  ` +
        `reason: ${message.reason === null ? '-' : previewBody(message.reason)}`,
    );
    lines.push(`  ${previewBody(message.body)}`);
  }
  return lines;
};

/**
 * The attributes to send a message back with: what it carried, minus `reason`, which describes
 * why it was dead-lettered and would be wrong on the next attempt.
 */
export const redriveAttributes = (
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, MessageAttributeValue> | undefined => {
  const kept: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (name === REASON_ATTRIBUTE || value.DataType === undefined) continue;
    kept[name] = {
      DataType: value.DataType,
      ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }),
    };
  }
  return Object.keys(kept).length === 0 ? undefined : kept;
};

/** What SQS counts toward the request size limit: body, attribute names, types and values. */
export const entryBytes = (entry: Pick<SendMessageBatchRequestEntry, 'MessageBody' | 'MessageAttributes'>): number => {
  let bytes = Buffer.byteLength(entry.MessageBody ?? '');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    bytes += value.StringValue !== undefined ? Buffer.byteLength(value.StringValue) : (value.BinaryValue?.byteLength ?? 0);
  }
  return bytes;
};

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

// ---------------------------------------------------------------------------------------------
// Receiving without consuming

/**
 * Receives messages and keeps them hidden (by their latest receipt handle) until `release`, so a
 * run sees each message once however many receives it takes, and leaves the queue as it found it.
 */
class MessageHold {
  private readonly held = new Map<string, string>();

  constructor(
    private readonly sqs: Sqs,
    private readonly queueUrl: string,
    private readonly waitTimeSeconds: number,
  ) {}

  /** Up to `count` (1..10) messages this hold has not seen before; [] when the queue has no more. */
  async receiveNew(count: number): Promise<Message[]> {
    let result;
    try {
      result = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: Math.min(Math.max(count, 1), 10),
          VisibilityTimeout: HOLD_SECONDS,
          WaitTimeSeconds: this.waitTimeSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
        }),
      );
    } catch (error) {
      throw new DlqError(`could not receive from ${this.queueUrl}: ${oneLine(error)}`);
    }
    const fresh: Message[] = [];
    for (const message of result.Messages ?? []) {
      if (message.MessageId === undefined || message.ReceiptHandle === undefined) continue;
      // A message seen before (its hold expired in a long run, or SQS delivered it twice) is
      // held again under its new handle but not handed out again.
      if (!this.held.has(message.MessageId)) fresh.push(message);
      this.held.set(message.MessageId, message.ReceiptHandle);
    }
    return fresh;
  }

  /** The message is gone from the queue (deleted): nothing to release. */
  forget(messageId: string): void {
    this.held.delete(messageId);
  }

  /** Makes every held message visible again at once. Returns a warning when some could not be. */
  async release(): Promise<string | undefined> {
    const entries = [...this.held.values()].map((handle, index) => ({
      Id: String(index),
      ReceiptHandle: handle,
      VisibilityTimeout: 0,
    }));
    this.held.clear();
    let failed = 0;
    let lastError = '';
    for (const batch of chunks(entries, MAX_BATCH_ENTRIES)) {
      try {
        const result = await this.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.queueUrl, Entries: batch }));
        failed += result.Failed?.length ?? 0;
        if (result.Failed?.[0]) lastError = result.Failed[0].Message ?? result.Failed[0].Code ?? '';
      } catch (error) {
        failed += batch.length;
        lastError = oneLine(error);
      }
    }
    return failed === 0
      ? undefined
      : `${failed} message(s) could not be made visible again (${lastError}); they reappear within ${HOLD_SECONDS} s`;
  }
}

const approximateCount = async (sqs: Sqs, queueUrl: string): Promise<number | null> => {
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const visible = Number(Attributes?.ApproximateNumberOfMessages ?? NaN);
    const hidden = Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    return Number.isFinite(visible) ? visible + (Number.isFinite(hidden) ? hidden : 0) : null;
  } catch {
    return null; // only a nicety for the listing; the receive reports a real problem
  }
};

export interface ReceiveOptions {
  /** Long-poll wait of each receive; > 0 makes SQS ask all its servers, so "empty" means empty. */
  waitTimeSeconds?: number;
}

export interface DeadLetterListing {
  messages: DeadLetter[];
  /** ApproximateNumberOfMessages + NotVisible before the look, or null when it could not be read. */
  approximateCount: number | null;
  warnings: string[];
}

/**
 * Up to `max` messages of the DLQ, oldest first, without consuming them: each is received with a
 * 30 s visibility timeout (so the next receive returns others), then all are made visible again
 * together. Each look adds one to a message's receive count; a DLQ has no redrive policy, so
 * that is harmless.
 */
export const listDeadLetters = async (
  sqs: Sqs,
  dlqUrl: string,
  options: { max?: number } & ReceiveOptions = {},
): Promise<DeadLetterListing> => {
  const max = options.max ?? DEFAULT_LIST_MAX;
  const count = await approximateCount(sqs, dlqUrl);
  const hold = new MessageHold(sqs, dlqUrl, options.waitTimeSeconds ?? 1);
  const messages: DeadLetter[] = [];
  const warnings: string[] = [];
  try {
    while (messages.length < max) {
      const fresh = await hold.receiveNew(max - messages.length);
      if (fresh.length === 0) break;
      messages.push(...fresh.slice(0, max - messages.length).map(toDeadLetter));
    }
  } finally {
    const warning = await hold.release();
    if (warning !== undefined) warnings.push(warning);
  }
  messages.sort((a, b) => (a.sentAt ?? '').localeCompare(b.sentAt ?? ''));
  return { messages, approximateCount: count, warnings };
};

// ---------------------------------------------------------------------------------------------
// Redrive

export interface RedriveOptions extends ReceiveOptions {
  dlqUrl: string;
  sourceUrl: string;
  /** Move at most this many; default: every message that was in the DLQ when the run started. */
  max?: number;
  dryRun?: boolean;
  /** The clock the start of the run is read from (tests). */
  now?: () => number;
  /** Called after each batch: messages handled so far, and about how many there are to handle (if known). */
  onProgress?: (done: number, total: number | undefined) => void;
}

export interface RedriveResult {
  /** Sent to the source queue and deleted from the DLQ. */
  moved: number;
  /** Still in the DLQ: the send failed, or (see `notDeleted`) the delete after it. */
  failed: number;
  /** Dry run: how many a redrive would have moved. */
  wouldMove: number;
  /** Ids of messages sent to the source queue whose delete from the DLQ failed: now in both. */
  notDeleted: string[];
  /** Messages sent to the DLQ after the run started, left there (e.g. a redriven one that failed again). */
  arrivedDuring: number;
  /** Why the run stopped early, when it did (an SQS call failed as a whole). */
  error?: string;
  warnings: string[];
}

/**
 * Checks that the source queue's redrive policy targets this DLQ, so a mistyped pair of URLs
 * cannot move fan-out messages into the delivery queue or the other way round.
 */
export const checkQueuePair = async (sqs: Sqs, dlqUrl: string, sourceUrl: string): Promise<void> => {
  const attributesOf = async (url: string, which: string, names: ('QueueArn' | 'RedrivePolicy')[]) => {
    try {
      return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }))).Attributes ?? {};
    } catch (error) {
      throw new DlqError(`could not read the ${which} ${url}: ${oneLine(error)}`);
    }
  };
  const dlq = await attributesOf(dlqUrl, 'dead-letter queue', ['QueueArn']);
  const source = await attributesOf(sourceUrl, 'source queue', ['RedrivePolicy']);
  let target: unknown;
  try {
    target = (JSON.parse(source.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: unknown }).deadLetterTargetArn;
  } catch {
    target = undefined;
  }
  if (dlq.QueueArn === undefined || target !== dlq.QueueArn) {
    throw new DlqError(
      `the source queue ${sourceUrl} does not dead-letter to ${dlqUrl} ` +
        `(its redrive policy targets ${typeof target === 'string' ? target : 'nothing'}); check --dlq-url and --source-url`,
    );
  }
};

/**
 * Moves messages from the DLQ back to the source queue: ten received at a time, sent with
 * SendMessageBatch (same body, same attributes minus `reason`), and deleted from the DLQ with
 * DeleteMessageBatch only where the send succeeded. A message whose send fails stays in the DLQ
 * and is made visible again at the end; nothing is ever deleted that was not sent.
 *
 * Messages sent to the DLQ after the run started are left alone, so redriving a message that
 * fails again at once (a malformed one, say) ends instead of chasing it round forever.
 */
export const redriveDeadLetters = async (sqs: Sqs, options: RedriveOptions): Promise<RedriveResult> => {
  const startedAt = (options.now ?? Date.now)();
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const result: RedriveResult = { moved: 0, failed: 0, wouldMove: 0, notDeleted: [], arrivedDuring: 0, warnings: [] };
  const done = () => result.moved + result.failed + result.wouldMove;

  const hold = new MessageHold(sqs, options.dlqUrl, options.waitTimeSeconds ?? 1);
  try {
    await checkQueuePair(sqs, options.dlqUrl, options.sourceUrl);
    const counted = options.onProgress === undefined ? null : await approximateCount(sqs, options.dlqUrl);
    const total = counted === null ? undefined : Math.min(counted, max);
    const report = () => options.onProgress?.(done(), total === undefined ? undefined : Math.max(total, done()));
    report();
    while (done() < max && result.arrivedDuring < MAX_ARRIVALS_HELD) {
      const fresh = await hold.receiveNew(Math.min(10, max - done()));
      if (fresh.length === 0) break;
      const eligible: Message[] = [];
      for (const message of fresh) {
        if (Number(message.Attributes?.SentTimestamp) > startedAt) result.arrivedDuring++;
        else eligible.push(message);
      }
      const batch = eligible.slice(0, max - done());
      if (options.dryRun) {
        result.wouldMove += batch.length;
        report();
        continue;
      }
      for (const entries of packEntries(batch.map(toSendEntry), entryBytes)) {
        const stop = await moveBatch(sqs, options, entries, batch, hold, result);
        report();
        if (stop !== undefined) {
          result.error = stop;
          return result;
        }
      }
    }
  } catch (error) {
    result.error = oneLine(error);
  } finally {
    const warning = await hold.release();
    if (warning !== undefined) result.warnings.push(warning);
  }
  return result;
};

const toSendEntry = (message: Message, index: number): SendMessageBatchRequestEntry => {
  const attributes = redriveAttributes(message.MessageAttributes);
  return {
    Id: String(index),
    MessageBody: message.Body ?? '',
    ...(attributes === undefined ? {} : { MessageAttributes: attributes }),
  };
};

/** Sends one batch and deletes what was sent; returns an error message when the run must stop. */
const moveBatch = async (
  sqs: Sqs,
  options: RedriveOptions,
  entries: SendMessageBatchRequestEntry[],
  messages: readonly Message[],
  hold: MessageHold,
  result: RedriveResult,
): Promise<string | undefined> => {
  const messageOf = (entryId: string | undefined): Message => messages[Number(entryId)]!;
  let sent;
  try {
    sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl: options.sourceUrl, Entries: entries }));
  } catch (error) {
    result.failed += entries.length;
    return `could not send to the source queue ${options.sourceUrl}: ${oneLine(error)}`;
  }
  const failedIds = new Set((sent.Failed ?? []).map((entry) => entry.Id));
  // Only entries SQS confirmed are deleted; one it reported neither way is treated as failed.
  const confirmed = new Set((sent.Successful ?? []).map((entry) => entry.Id));
  const sentEntries = entries.filter((entry) => confirmed.has(entry.Id) && !failedIds.has(entry.Id));
  result.failed += entries.length - sentEntries.length;
  const firstFailure = sent.Failed?.[0];
  if (firstFailure !== undefined) {
    result.warnings.push(
      `${sent.Failed!.length} message(s) could not be sent and stay in the DLQ: ` +
        `${firstFailure.Code ?? 'error'} ${firstFailure.Message ?? ''}`.trim(),
    );
  }
  if (sentEntries.length === 0) return undefined;

  const deleteEntries = sentEntries.map((entry) => ({ Id: entry.Id!, ReceiptHandle: messageOf(entry.Id).ReceiptHandle! }));
  let deleted;
  try {
    deleted = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: options.dlqUrl, Entries: deleteEntries }));
  } catch (error) {
    result.failed += deleteEntries.length;
    result.notDeleted.push(...deleteEntries.map((entry) => messageOf(entry.Id).MessageId!));
    return `sent ${deleteEntries.length} message(s) to the source queue but could not delete them from the DLQ: ${oneLine(error)}`;
  }
  const notDeleted = new Set((deleted.Failed ?? []).map((entry) => entry.Id));
  for (const entry of deleteEntries) {
    const message = messageOf(entry.Id);
    if (notDeleted.has(entry.Id)) {
      result.failed++;
      result.notDeleted.push(message.MessageId!);
    } else {
      result.moved++;
      hold.forget(message.MessageId!);
    }
  }
  return undefined;
};
