import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../local/lambda-context';
import { toRecord } from '../../local/sqs-event-source';
import { localClients } from '../support/emulators';
import { startHttpServer, startTcpServer, type FaultServer } from '../support/fault-receivers';
import { startPipeline, type Pipeline } from '../support/pipeline';

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Two invocations of the delivery function in one module at once, as the local runtime runs
 * them: the one whose deadline comes first stops its own deliveries, never the other's.
 */
describe('Delivery function: concurrent invocations in one module', () => {
  let pipeline: Pipeline;
  let silent: FaultServer;
  let slow: FaultServer;
  let handler: SqsHandler;
  const { sqs } = localClients();

  beforeAll(async () => {
    pipeline = await startPipeline({
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
      WEBHOOK_TIMEOUT_MS: '30000',
    });
    handler = (await import('../../lambdas/delivery/handler')).handler as unknown as SqsHandler;
    silent = await startTcpServer((socket) => socket.resume());
    slow = await startHttpServer((_req, res) => void setTimeout(() => res.writeHead(200).end(), 2_500));
  });

  afterAll(async () => {
    await Promise.all([silent.close(), slow.close()]);
  });

  const receiveBoth = async (): Promise<Message[]> => {
    const messages: Message[] = [];
    while (messages.length < 2) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: pipeline.queueUrl('delivery'), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
      );
      messages.push(...Messages);
    }
    return messages;
  };

  it('aborts only the invocation whose deadline came: the other one still delivers', async () => {
    // Prepare: one tenant's endpoint never answers, another's answers after 2.5 s.
    const hangingKey = await pipeline.createKey('signal-hanging');
    const slowKey = await pipeline.createKey('signal-slow');
    await pipeline.subscribe(hangingKey, silent.url());
    await pipeline.subscribe(slowKey, slow.url());
    const hanging = await pipeline.publish(hangingKey, 'order.created', { n: 1 });
    const answered = await pipeline.publish(slowKey, 'order.created', { n: 2 });
    const messages = await receiveBoth();
    const queueArn = pipeline.resources.queue(pipeline.resources.eventSources.find((s) => s.function.constructPath?.includes('DeliveryFunction'))!.queueLogicalId).queueArn;
    const forEvent = (id: string) => ({ Records: messages.filter((m) => m.Body!.includes(id)).map((m) => toRecord(m, queueArn)) });

    // Act: the hanging tenant's invocation has 3 s left (its deliveries stop 2 s before), the other a minute.
    const [, long] = await Promise.all([
      handler(forEvent(hanging.id), lambdaContext('DeliveryFunction', 3_000)),
      handler(forEvent(answered.id), lambdaContext('DeliveryFunction', 60_000)),
    ]);

    // Assess
    expect(long).toEqual({ batchItemFailures: [] });
    const delivered = await pipeline.call('GET', `/v1/events/${answered.id}/deliveries`, { key: slowKey });
    expect(delivered.body.items).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1 })]);
    const stopped = await pipeline.call('GET', `/v1/events/${hanging.id}/deliveries`, { key: hangingKey });
    expect(stopped.body.items).toEqual([
      expect.objectContaining({
        status: 'retrying',
        attemptLog: [expect.objectContaining({ reason: 'timeout', requestSent: true, error: 'the function is about to time out' })],
      }),
    ]);
  });
});
