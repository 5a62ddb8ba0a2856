import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** The queue operations a consumer needs beyond what the Lambda event source does for it. */
export class SqsQueueOps {
  constructor(private readonly client: SQSClient) {}

  async changeVisibility(queueUrl: string, receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }),
    );
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
