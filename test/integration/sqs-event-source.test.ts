import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { messagesToDelete, SqsEventSource, type SqsEventSourceOptions } from '../../local/sqs-event-source';
import { localClients, uniquePrefix } from '../support/emulators';
import { waitFor } from '../support/fault-receivers';

const createQueue = async (sqs: SQSClient, visibilityTimeout = 1) => {
  const name = uniquePrefix('esm');
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: String(visibilityTimeout) } }),
  );
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { queueUrl: QueueUrl!, queueArn: Attributes!.QueueArn! };
};

const send = async (sqs: SQSClient, queueUrl: string, count: number) => {
  for (let i = 0; i < count; i += 10) {
    const entries = Array.from({ length: Math.min(10, count - i) }, (_, j) => ({ Id: String(j), MessageBody: `m${i + j}` }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  }
};

const visibleAndInFlight = async (sqs: SQSClient, queueUrl: string) => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
};

const record = (messageId: string) => ({ messageId }) as SQSEvent['Records'][number];

describe('Function: messagesToDelete', () => {
  const records = [record('a'), record('b'), record('c')];

  it('deletes every message of a successful invocation without partial batch responses', () => {
    expect(messagesToDelete(records, { batchItemFailures: [{ itemIdentifier: 'a' }] }, false)).toHaveLength(3);
  });

  it('keeps only the listed failures with ReportBatchItemFailures', () => {
    expect(messagesToDelete(records, { batchItemFailures: [{ itemIdentifier: 'b' }] }, true).map((r) => r.messageId)).toEqual(['a', 'c']);
  });

  it('deletes everything for an empty failure list or no answer', () => {
    expect(messagesToDelete(records, { batchItemFailures: [] }, true)).toHaveLength(3);
    expect(messagesToDelete(records, undefined, true)).toHaveLength(3);
  });

  it.each([
    [{ batchItemFailures: [{ itemIdentifier: '' }] }],
    [{ batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] }],
    [{ batchItemFailures: [{}] }],
    [{ batchItemFailures: 'b' }],
  ])('fails the whole batch for an invalid report %j', (response) => {
    expect(messagesToDelete(records, response as unknown as SQSBatchResponse, true)).toEqual([]);
  });
});

describe('Class: SqsEventSource', () => {
  let sqs: SQSClient;

  beforeAll(() => {
    sqs = localClients().sqs;
  });

  const source = (queue: { queueUrl: string; queueArn: string }, overrides: Partial<SqsEventSourceOptions>) =>
    new SqsEventSource({
      sqs,
      ...queue,
      handler: async () => undefined,
      functionName: 'test',
      timeoutMs: 5_000,
      batchSize: 10,
      reportBatchItemFailures: true,
      maxConcurrency: 3,
      waitTimeSeconds: 0,
      ...overrides,
    });

  it('scales out with the backlog but never runs more invocations at once than the maximum concurrency', async () => {
    // Prepare
    const queue = await createQueue(sqs, 30);
    await send(sqs, queue.queueUrl, 60);
    let running = 0;
    let peak = 0;
    let handled = 0;
    const events = source(queue, {
      maxConcurrency: 3,
      handler: async (event) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 50));
        handled += event.Records.length;
        running -= 1;
      },
    });

    // Act
    events.start();
    for (let i = 0; i < 200 && handled < 60; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await events.stop();

    // Assess
    expect(handled).toBe(60);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(3);
    expect(await visibleAndInFlight(sqs, queue.queueUrl)).toBe(0);
  });

  it('keeps reading the queue while every other poller waits for a long invocation', async () => {
    // Prepare
    const queue = await createQueue(sqs, 30);
    let releaseHeld!: () => void;
    const held = new Promise<void>((resolve) => (releaseHeld = resolve));
    const handled: string[] = [];
    const events = source(queue, {
      maxConcurrency: 3,
      handler: async (event) => {
        handled.push(...event.Records.map((r) => r.body));
        if (event.Records.some((r) => r.body === 'm0')) await held;
      },
    });
    events.start();
    await send(sqs, queue.queueUrl, 1);
    await waitFor(() => handled.includes('m0'));
    // Long enough for an idle poller's empty receives (short polls here) to scale it in.
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Act
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.queueUrl, Entries: [{ Id: '0', MessageBody: 'next' }] }));
    // Well within the held invocation's 5 s timeout, after which its own poller would read it.
    const receivedWhileHeld = await waitFor(() => handled.includes('next'), 2_000).then(
      () => true,
      () => false,
    );
    releaseHeld();
    await events.stop();

    // Assess
    expect(receivedWhileHeld).toBe(true);
  });

  it('leaves the whole batch on the queue when the invocation exceeds the function timeout', async () => {
    // Prepare
    const queue = await createQueue(sqs, 30);
    await send(sqs, queue.queueUrl, 3);
    const events = source(queue, { timeoutMs: 100, handler: () => new Promise((resolve) => setTimeout(resolve, 1_000)) });

    // Act
    const result = await events.pollOnce();

    // Assess
    expect(result).toMatchObject({ received: 3, deleted: 0, retained: 3 });
    expect(String(result.error)).toContain('timed out after 100 ms');
    expect(await visibleAndInFlight(sqs, queue.queueUrl)).toBe(3);
  });

  it('keeps only the messages the handler reports as failed', async () => {
    // Prepare
    const queue = await createQueue(sqs, 30);
    await send(sqs, queue.queueUrl, 4);
    const events = source(queue, {
      handler: async (event) => ({ batchItemFailures: event.Records.filter((r) => r.body === 'm1').map((r) => ({ itemIdentifier: r.messageId })) }),
    });

    // Act
    const result = await events.pollOnce();

    // Assess
    expect(result).toMatchObject({ received: 4, deleted: 3, retained: 1 });
    expect(await visibleAndInFlight(sqs, queue.queueUrl)).toBe(1);
  });

  it('gathers up to the batch size within the batching window', async () => {
    // Prepare
    const queue = await createQueue(sqs, 30);
    await send(sqs, queue.queueUrl, 25);
    const sizes: number[] = [];
    const events = source(queue, { batchSize: 25, maxBatchingWindowSeconds: 1, handler: async (event) => void sizes.push(event.Records.length) });

    // Act
    await events.pollOnce();

    // Assess
    expect(sizes).toEqual([25]);
  });
});
