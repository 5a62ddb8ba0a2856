import { CreateQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsRequestCounter } from '../../lambdas/aws/request-counter';
import { VisibilityBatcher, VisibilityChangeError } from '../../lambdas/aws/visibility-batcher';
import { sqsClientConfig } from '../../local/emulators';
import { localClients, localEndpoints, uniquePrefix } from '../support/emulators';

const WINDOW_MS = 20;

/** A client of its own, counting its requests. */
const countedClient = () => {
  const counter = new AwsRequestCounter();
  return { counter, client: counter.attach(new SQSClient(sqsClientConfig(localEndpoints().sqsEndpoint)), 'SQS') };
};

/** A fresh queue holding `count` messages, all received once: their receipt handles, in flight for 30 s. */
const receivedMessages = async (sqs: SQSClient, count: number): Promise<{ queueUrl: string; handles: string[] }> => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniquePrefix('visibility'), Attributes: { VisibilityTimeout: '30' } }));
  for (let i = 0; i < count; i += 10) {
    const entries = Array.from({ length: Math.min(10, count - i) }, (_, j) => ({ Id: String(j), MessageBody: `m${i + j}` }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries }));
  }
  const handles: string[] = [];
  while (handles.length < count) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    handles.push(...Messages.map((message) => message.ReceiptHandle!));
  }
  return { queueUrl: QueueUrl!, handles };
};

/** Messages visible again within `waitSeconds`, by body. */
const visibleWithin = async (sqs: SQSClient, queueUrl: string, waitSeconds: number): Promise<number> => {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }));
  return Messages.length;
};

describe('Class: VisibilityBatcher, against the SQS emulator', () => {
  let sqs: SQSClient;
  beforeAll(() => {
    sqs = localClients().sqs;
  });

  it('sends 23 changes asked for together in three batch requests, and each takes effect', async () => {
    // Prepare
    const { queueUrl, handles } = await receivedMessages(sqs, 23);
    const { counter, client } = countedClient();
    const batcher = new VisibilityBatcher(client, WINDOW_MS);

    // Act: every message visible again at once
    await Promise.all(handles.map((handle) => batcher.change(queueUrl, handle, 0)));

    // Assess
    expect(counter.snapshot()).toEqual({ 'SQS.ChangeMessageVisibilityBatch': 3 });
    let visible = 0;
    while (visible < 23) {
      const received = await visibleWithin(sqs, queueUrl, 1);
      if (received === 0) break;
      visible += received;
    }
    expect(visible).toBe(23);
  });

  it('gathers changes asked for a few milliseconds apart into one request', async () => {
    // Prepare
    const { queueUrl, handles } = await receivedMessages(sqs, 3);
    const { counter, client } = countedClient();
    const batcher = new VisibilityBatcher(client, WINDOW_MS);

    // Act
    const changes = [batcher.change(queueUrl, handles[0]!, 0)];
    await new Promise((resolve) => setTimeout(resolve, 2));
    changes.push(batcher.change(queueUrl, handles[1]!, 0), batcher.change(queueUrl, handles[2]!, 0));
    await Promise.all(changes);

    // Assess
    expect(counter.snapshot()).toEqual({ 'SQS.ChangeMessageVisibilityBatch': 1 });
  });

  it("rejects only the caller whose message SQS refused, with SQS's reason", async () => {
    // Prepare: one handle that is not a receipt handle at all
    const { queueUrl, handles } = await receivedMessages(sqs, 2);
    const batcher = new VisibilityBatcher(sqs, WINDOW_MS);

    // Act
    const results = await Promise.allSettled([
      batcher.change(queueUrl, handles[0]!, 60),
      batcher.change(queueUrl, 'not-a-receipt-handle', 60),
      batcher.change(queueUrl, handles[1]!, 60),
    ]);

    // Assess
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const refused = (results[1] as PromiseRejectedResult).reason as Error;
    expect(refused).toBeInstanceOf(VisibilityChangeError);
    expect(refused.message).toMatch(/ReceiptHandle|receipt handle/i);
    // The accepted changes hid both messages for a minute.
    expect(await visibleWithin(sqs, queueUrl, 0)).toBe(0);
  });

  it('rejects every caller of a request that failed as a whole', async () => {
    // Prepare: a queue that does not exist
    const batcher = new VisibilityBatcher(sqs, WINDOW_MS);
    const queueUrl = `${(await receivedMessages(sqs, 1)).queueUrl}-missing`;

    // Act
    const results = await Promise.allSettled([batcher.change(queueUrl, 'a', 5), batcher.change(queueUrl, 'b', 5)]);

    // Assess
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  });
});
