import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MAX_BATCH_ENTRIES } from './sqs-publisher';

interface Change {
  receiptHandle: string;
  seconds: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** SQS refused one message's change in a batch (its code and message, as SQS gave them). */
export class VisibilityChangeError extends Error {
  override name = 'VisibilityChangeError';
}

/**
 * Visibility changes asked for within `windowMs` of each other go out together, up to ten in one
 * ChangeMessageVisibilityBatch request (billed as one request) instead of one request each. A
 * delivery invocation defers its waiting messages at nearly the same moment (their line wait ends
 * together, or their circuit is open): an endpoint that stops answering then costs a tenth of the
 * requests. Each caller still learns its own message's result: a change SQS refused rejects that
 * caller only.
 */
export class VisibilityBatcher {
  private readonly waiting = new Map<string, { changes: Change[]; timer: NodeJS.Timeout }>();

  constructor(
    private readonly client: SQSClient,
    private readonly windowMs: number,
  ) {}

  change(queueUrl: string, receiptHandle: string, seconds: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let batch = this.waiting.get(queueUrl);
      if (batch === undefined) {
        batch = { changes: [], timer: setTimeout(() => this.flush(queueUrl), this.windowMs) };
        this.waiting.set(queueUrl, batch);
      }
      batch.changes.push({ receiptHandle, seconds, resolve, reject });
      if (batch.changes.length >= MAX_BATCH_ENTRIES) this.flush(queueUrl);
    });
  }

  private flush(queueUrl: string): void {
    const batch = this.waiting.get(queueUrl);
    if (batch === undefined) return;
    this.waiting.delete(queueUrl);
    clearTimeout(batch.timer);
    void this.send(queueUrl, batch.changes);
  }

  private async send(queueUrl: string, changes: Change[]): Promise<void> {
    try {
      const { Successful = [], Failed = [] } = await this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: changes.map((change, index) => ({ Id: String(index), ReceiptHandle: change.receiptHandle, VisibilityTimeout: change.seconds })),
        }),
      );
      const succeeded = new Set(Successful.map((entry) => entry.Id));
      const failed = new Map(Failed.map((entry) => [entry.Id, `${entry.Code ?? 'Unknown'}: ${entry.Message ?? 'no message'}`]));
      changes.forEach((change, index) => {
        const id = String(index);
        if (succeeded.has(id)) change.resolve();
        else change.reject(new VisibilityChangeError(failed.get(id) ?? 'SQS reported no result for this message'));
      });
    } catch (error) {
      for (const change of changes) change.reject(error as Error);
    }
  }
}
