import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { SQS_MAX_RECEIVE } from '../lambdas/aws/sqs-queue-ops';
import { lambdaContext, withTimeout } from './lambda/context';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface SqsEventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: SqsHandler;
  functionName: string;
  timeoutMs: number;
  batchSize: number;
  maxBatchingWindowSeconds?: number;
  reportBatchItemFailures: boolean;
  maxConcurrency: number;
  /** Long-poll wait per receive; short keeps shutdown quick. */
  waitTimeSeconds?: number;
  onError?: (error: unknown) => void;
}

export interface PollResult {
  received: number;
  deleted: number;
  /** Messages left on the queue: reported failures, or the whole batch after an error. */
  retained: number;
  error?: unknown;
}

const IDLE_RECEIVES_BEFORE_SCALING_IN = 3;

const toMessageAttributes = (attributes: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes =>
  Object.fromEntries(
      Object.entries(attributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
          ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
  );

/** A received SQS message as the record Lambda hands the function. */
export const toRecord = (message: Message, queueArn: string): SQSRecord => ({
  messageId: message.MessageId!,
  receiptHandle: message.ReceiptHandle!,
  body: message.Body ?? '',
  attributes: {
    ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
    SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
    SenderId: message.Attributes?.SenderId ?? 'local',
    ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  },
  messageAttributes: toMessageAttributes(message.MessageAttributes),
  md5OfBody: message.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: 'us-east-1',
});

/**
 * Which messages to delete after an invocation, by Lambda's rules: all of them on success; with
 * ReportBatchItemFailures all but the listed ones; none when the function failed or its failure
 * report is invalid (a missing, empty or unknown itemIdentifier fails the whole batch).
 */
export const messagesToDelete = (
  records: readonly SQSRecord[],
  response: SQSBatchResponse | void,
  reportBatchItemFailures: boolean,
): SQSRecord[] => {
  if (!reportBatchItemFailures || response === undefined || response === null) return [...records];
  const failures = (response as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return [...records];
  if (!Array.isArray(failures)) return [];
  const ids = new Set(records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !ids.has(id)) return [];
    failed.add(id);
  }
  return records.filter((r) => !failed.has(r.messageId));
};

/**
 * Polls a queue and invokes a handler with Lambda's SQS event source semantics: batch size,
 * batching window, partial batch responses, maximum concurrency and the function timeout.
 */
export class SqsEventSource {
  private running = false;
  private readonly pollers = new Set<Promise<void>>();
  private activePollers = 0;
  /** Pollers whose batch is being handled: they receive nothing until their invocation ends. */
  private invokingPollers = 0;

  constructor(private readonly options: SqsEventSourceOptions) {}

  /**
   * Receives one batch (if any), invokes the handler once, deletes what Lambda would delete.
   * `onReceived` is told as soon as a batch is in hand, before the invocation.
   */
  async pollOnce(waitTimeSeconds = 0, onReceived?: () => void): Promise<PollResult> {
    const records = await this.receiveBatch(waitTimeSeconds);
    if (records.length === 0) return { received: 0, deleted: 0, retained: 0 };
    onReceived?.();
    const { handler, functionName, timeoutMs, reportBatchItemFailures } = this.options;
    let response: SQSBatchResponse | void;
    try {
      response = await withTimeout(
        handler({ Records: records }, lambdaContext(functionName, timeoutMs)),
        timeoutMs,
        functionName,
      );
    } catch (error) {
      this.options.onError?.(error);
      return { received: records.length, deleted: 0, retained: records.length, error };
    }
    const toDelete = messagesToDelete(records, response, reportBatchItemFailures);
    await this.delete(toDelete);
    return { received: records.length, deleted: toDelete.length, retained: records.length - toDelete.length };
  }

  private async receiveBatch(waitTimeSeconds: number): Promise<SQSRecord[]> {
    const { batchSize, maxBatchingWindowSeconds = 0 } = this.options;
    const records: SQSRecord[] = [];
    const windowEnds = Date.now() + maxBatchingWindowSeconds * 1000;
    let wait = waitTimeSeconds;
    do {
      const { Messages = [] } = await this.options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.options.queueUrl,
          MaxNumberOfMessages: Math.min(SQS_MAX_RECEIVE, batchSize - records.length),
          WaitTimeSeconds: wait,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      records.push(...Messages.map((m) => toRecord(m, this.options.queueArn)));
      if (Messages.length === 0 && records.length === 0) return records;
      wait = 0;
    } while (records.length < batchSize && Date.now() < windowEnds);
    return records;
  }

  private async delete(records: readonly SQSRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += SQS_MAX_RECEIVE) {
      const chunk = records.slice(i, i + SQS_MAX_RECEIVE);
      await this.options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: chunk.map((r, index) => ({ Id: String(index), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
  }

  /**
   * Starts polling. Like Lambda's pollers, it scales with the backlog: one poller to begin with,
   * another each time a poller receives messages, before its invocation runs (up to
   * `maxConcurrency` invocations at once), and back down after a few empty receives. A poller
   * receives nothing while its invocation runs, so one that is not invoking always stays while
   * there is room for another invocation: as on Lambda, invocations that run for long never stop
   * the queue from being read.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.addPoller();
  }

  async stop(): Promise<void> {
    this.running = false;
    while (this.pollers.size > 0) await Promise.allSettled([...this.pollers]);
  }

  /** Pollers running now: how many invocations can be in flight at once. */
  get concurrency(): number {
    return this.activePollers;
  }

  /** Pollers free to receive: those not waiting for an invocation. */
  private get receivingPollers(): number {
    return this.activePollers - this.invokingPollers;
  }

  private addPoller(): void {
    this.activePollers += 1;
    const poller: Promise<void> = this.poll().finally(() => this.pollers.delete(poller));
    this.pollers.add(poller);
  }

  private async poll(): Promise<void> {
    let emptyReceives = 0;
    while (this.running) {
      try {
        // Like Lambda's, pollers scale while invocations run: a long invocation does not hold
        // back the next receive.
        let invoking = false;
        const result = await this.pollOnce(this.options.waitTimeSeconds ?? 1, () => {
          invoking = true;
          this.invokingPollers += 1;
          if (this.activePollers < this.options.maxConcurrency) this.addPoller();
        }).finally(() => {
          if (invoking) this.invokingPollers -= 1;
        });
        if (result.received > 0) {
          emptyReceives = 0;
        } else if (this.receivingPollers > 1 && ++emptyReceives >= IDLE_RECEIVES_BEFORE_SCALING_IN) {
          // Checked and decremented in one step, so the last poller always stays to watch the queue.
          this.activePollers -= 1;
          return;
        }
      } catch (error) {
        this.options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    this.activePollers -= 1;
  }
}
