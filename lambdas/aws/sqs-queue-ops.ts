import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { VisibilityBatcher } from './visibility-batcher';

/**
 * How long a visibility change waits for others to go out with it: far shorter than any wait it
 * sets (a second at least), long enough for the messages an invocation defers together.
 */
const VISIBILITY_BATCH_WINDOW_MS = 20;

/** SQS hands out at most ten messages per receive. */
export const SQS_MAX_RECEIVE = 10;

/** A message received by the function itself, with what a consumer needs of it. */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  receiveCount: number;
}

/** The queue operations a consumer needs beyond what the Lambda event source does for it. */
export class SqsQueueOps {
  private readonly visibility: VisibilityBatcher;

  constructor(private readonly client: SQSClient) {
    this.visibility = new VisibilityBatcher(client, VISIBILITY_BATCH_WINDOW_MS);
  }

  /** Up to `max` messages, waiting up to `waitSeconds` for the first (a long poll). */
  async receive(queueUrl: string, max: number, waitSeconds: number): Promise<ReceivedMessage[]> {
    const { Messages = [] } = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    return Messages.map((message) => ({
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body ?? '',
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? '1'),
    }));
  }

  async delete(queueUrl: string, receiptHandle: string): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
  }

  /** Sent with the other changes asked for within a few milliseconds, ten to a request. */
  changeVisibility(queueUrl: string, receiptHandle: string, seconds: number): Promise<void> {
    return this.visibility.change(queueUrl, receiptHandle, seconds);
  }

  /**
   * A message the code cannot process goes straight to the dead-letter queue with the reason,
   * rather than cycling through receives until the redrive policy moves it.
   */
  async sendToDeadLetterQueue(dlqUrl: string, body: string, reason: string): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: body,
        MessageAttributes: { reason: { DataType: 'String', StringValue: reason.slice(0, 1000) } },
      }),
    );
  }
}
