import {
  SendMessageBatchCommand,
  SendMessageCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { toMessageBody, type DeliveryMessage, type DeliveryQueueMessage, type FanoutQueueMessage } from '../core/messages';
import type { DelayedDeliveryPublisher, DeliveryPublisher, FanoutBatchPublisher, FanoutPublisher } from '../core/ports';

export const MAX_BATCH_ENTRIES = 10;
/** SendMessageBatch carries at most 1 MiB in all; keep room for the request's own framing. */
export const MAX_BATCH_BYTES = 1024 * 1024 - 16 * 1024;
const MAX_ROUNDS = 4;
/** SQS's longest DelaySeconds. */
const MAX_DELAY_SECONDS = 900;

export class BatchSendError extends Error {
  override name = 'BatchSendError';
  constructor(
    message: string,
    readonly failedIds: string[],
  ) {
    super(message);
  }
}

/**
 * Packs entries, in order, into as few SendMessageBatch calls as the limits allow: ten entries per
 * call, fewer only where the 1 MiB request limit forces it.
 */
export const packEntries = <T>(entries: readonly T[], bytesOf: (entry: T) => number): T[][] => {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = bytesOf(entry);
    if (current.length === MAX_BATCH_ENTRIES || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
};

export class SqsPublisher implements FanoutPublisher, FanoutBatchPublisher, DeliveryPublisher, DelayedDeliveryPublisher {
  constructor(
    private readonly client: SQSClient,
    private readonly queues: { fanoutQueueUrl?: string; deliveryQueueUrl?: string },
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async publishFanout(message: FanoutQueueMessage): Promise<void> {
    await this.client.send(
      new SendMessageCommand({ QueueUrl: required(this.queues.fanoutQueueUrl, 'fan-out'), MessageBody: toMessageBody(message) }),
    );
  }

  async publishFanouts(messages: readonly FanoutQueueMessage[]): Promise<void> {
    await this.sendAll(required(this.queues.fanoutQueueUrl, 'fan-out'), messages.map((message) => ({ body: toMessageBody(message) })));
  }

  async publishDeliveries(messages: readonly DeliveryQueueMessage[]): Promise<void> {
    await this.sendAll(this.deliveryQueueUrl(), messages.map((message) => ({ body: toMessageBody(message) })));
  }

  async publishDelayed(entries: readonly { message: DeliveryMessage; delaySeconds: number }[]): Promise<void> {
    await this.sendAll(
      this.deliveryQueueUrl(),
      entries.map(({ message, delaySeconds }) => ({
        body: toMessageBody(message),
        delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds))),
      })),
    );
  }

  private deliveryQueueUrl(): string {
    return required(this.queues.deliveryQueueUrl, 'delivery');
  }

  private async sendAll(queueUrl: string, entries: readonly OutgoingMessage[]): Promise<void> {
    for (const batch of packEntries(entries, (entry) => Buffer.byteLength(entry.body))) {
      await this.sendBatch(queueUrl, batch);
    }
  }

  /** Sends one batch; a partial failure re-sends only the failed entries, never the delivered ones. */
  private async sendBatch(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<void> {
    let pending: SendMessageBatchRequestEntry[] = messages.map((message, index) => ({
      Id: String(index),
      MessageBody: message.body,
      ...(message.delaySeconds ? { DelaySeconds: message.delaySeconds } : {}),
    }));
    for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
      if (round > 0) await this.sleep(100 * 2 ** round);
      const result = await this.client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      const failed = result.Failed ?? [];
      const permanent = failed.filter((entry) => entry.SenderFault);
      if (permanent.length > 0) {
        throw new BatchSendError(
          `SQS refused ${permanent.length} message(s): ${permanent.map((e) => e.Code).join(', ')}`,
          permanent.map((e) => e.Id ?? ''),
        );
      }
      const failedIds = new Set(failed.map((entry) => entry.Id));
      pending = pending.filter((entry) => failedIds.has(entry.Id));
    }
    if (pending.length > 0) {
      throw new BatchSendError(`${pending.length} message(s) still failing after ${MAX_ROUNDS} rounds`, pending.map((e) => e.Id!));
    }
  }
}

interface OutgoingMessage {
  body: string;
  delaySeconds?: number;
}

const required = (url: string | undefined, name: string): string => {
  if (url === undefined) throw new Error(`the ${name} queue URL is not configured for this function`);
  return url;
};
