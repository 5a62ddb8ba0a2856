import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { FinalizeRequestMiddleware, MiddlewareStack } from '@smithy/types';

/**
 * Counts the AWS requests a function makes, by service and operation, retries included (each one
 * is billed). It is how the cost of the pipeline is measured rather than guessed; the count costs a
 * map increment per request.
 */
export class AwsRequestCounter {
  private readonly counts = new Map<string, number>();

  attach(client: SQSClient, service: 'SQS'): SQSClient;
  attach(client: DynamoDBClient, service: 'DynamoDB'): DynamoDBClient;
  attach(client: SQSClient | DynamoDBClient, service: string): SQSClient | DynamoDBClient {
    const count: FinalizeRequestMiddleware<object, object> = (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
      const key = `${service}.${operation}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      return next(args);
    };
    // Inside the retry loop, so every attempt on the wire is counted once.
    (client.middlewareStack as MiddlewareStack<object, object>).add(count, {
      step: 'finalizeRequest',
      priority: 'low',
      name: 'countAwsRequests',
    });
    return client;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.counts.clear();
  }
}

/** The counter of this execution environment: every client from `clients.ts` reports to it. */
export const awsRequests = new AwsRequestCounter();
