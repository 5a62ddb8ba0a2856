import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsPublisher } from '../../lambdas/aws/sqs-publisher';
import type { DeliveryMessage } from '../../lambdas/core/messages';
import { sqsClientConfig } from '../../local/emulators';
import { localEndpoints } from '../support/emulators';
import { receiveAll } from '../support/queues';
import { ReceiverPool } from '../support/receiver';
import { startPipeline, type Pipeline } from '../support/pipeline';

const visibleMessages = async (sqs: SQSClient, queueUrl: string): Promise<number> => {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
};

/**
 * An SQS client whose first SendMessageBatch call loses some entries the way SQS reports a
 * partial failure: they are not sent and come back in `Failed`.
 */
const clientFailingEntries = (failIds: readonly string[]): { client: SQSClient; calls: string[][] } => {
  const client = new SQSClient(sqsClientConfig(localEndpoints().sqsEndpoint));
  const calls: string[][] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as Partial<SendMessageBatchCommandInput>;
      if (input.Entries === undefined) return next(args);
      calls.push(input.Entries.map((e) => e.Id!));
      if (calls.length > 1) return next(args);
      const dropped = input.Entries.filter((e) => failIds.includes(e.Id!));
      const kept = input.Entries.filter((e) => !failIds.includes(e.Id!));
      const result = await next({ ...args, input: { ...(input as SendMessageBatchCommandInput), Entries: kept } });
      const output = result.output as SendMessageBatchCommandOutput;
      output.Failed = [
        ...(output.Failed ?? []),
        ...dropped.map((e) => ({ Id: e.Id!, Code: 'InternalError', SenderFault: false, Message: 'injected' })),
      ];
      return result;
    },
    { step: 'initialize', name: 'injectPartialBatchFailure' },
  );
  return { client, calls };
};

describe('Queue faults against the emulators', () => {
  let pipeline: Pipeline;
  let key: string;
  const receivers = new ReceiverPool();

  beforeAll(async () => {
    pipeline = await startPipeline({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8' });
    key = await pipeline.createKey('faults');
  });

  afterAll(receivers.closeAll);

  describe('Class: SqsPublisher', () => {
    it('re-sends only the entries a partial SendMessageBatch failure reports, so nothing is lost or doubled', async () => {
      // Prepare
      const { client, calls } = clientFailingEntries(['2', '5']);
      const sqs = new SQSClient(sqsClientConfig(localEndpoints().sqsEndpoint));
      const queueUrl = pipeline.queueUrl('delivery');
      const publisher = new SqsPublisher(client, { deliveryQueueUrl: queueUrl }, async () => undefined);
      const messages: DeliveryMessage[] = Array.from({ length: 10 }, (_, i) => ({
        v: 1,
        tenantId: 'faults',
        eventId: `evt_${i}`,
        eventType: 'batch.test',
        createdAt: new Date().toISOString(),
        run: `evt_${i}`,
        subscriptionId: `sub_${i}`,
        subscriptionVersion: 1,
        hasData: true,
        data: { i },
      }));

      // Act
      await publisher.publishDeliveries(messages);

      // Assess
      expect(calls).toEqual([['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], ['2', '5']]);
      const bodies = await receiveAll(sqs, queueUrl);
      const ids = bodies.map((b) => (JSON.parse(b) as DeliveryMessage).eventId).sort();
      expect(ids).toEqual(messages.map((m) => m.eventId).sort());
    });
  });

  describe('Handler: delivery', () => {
    it('moves a malformed message to its dead-letter queue and delivers the rest of the batch', async () => {
      // Prepare
      const { sqs } = { sqs: new SQSClient(sqsClientConfig(localEndpoints().sqsEndpoint)) };
      const target = await receivers.start();
      const created = await pipeline.call('POST', '/v1/subscriptions', { key, body: { url: target.url, eventTypes: ['poison.test'] } });
      await pipeline.call('POST', '/v1/events', { key, body: { type: 'poison.test', data: { n: 1 } } });
      await pipeline.fanout.pollOnce(0);
      await sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrl('delivery'), MessageBody: '{"v":1,"not":"a delivery"}' }));
      await sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrl('delivery'), MessageBody: 'not json at all' }));

      // Act
      await pipeline.drain({ until: () => target.requests.length >= 1 });
      await pipeline.drain();

      // Assess
      expect(created.status).toBe(201);
      expect(target.requests).toHaveLength(1);
      const dead = await receiveAll(sqs, pipeline.queueUrl('deliveryDlq'));
      expect(dead.sort()).toEqual(['not json at all', '{"v":1,"not":"a delivery"}'].sort());
      expect(await visibleMessages(sqs, pipeline.queueUrl('delivery'))).toBe(0);
    });
  });

  describe('Handler: delivery, during a deploy', () => {
    it('delivers a message carrying a field this version does not know, as a newer version would send it', async () => {
      // Prepare: the event's delivery message, taken off the queue and sent again with one more field.
      const sqs = new SQSClient(sqsClientConfig(localEndpoints().sqsEndpoint));
      const target = await receivers.start();
      await pipeline.call('POST', '/v1/subscriptions', { key, body: { url: target.url, eventTypes: ['newer.sender'] } });
      const published = await pipeline.call('POST', '/v1/events', { key, body: { type: 'newer.sender', data: { n: 2 } } });
      await pipeline.fanout.pollOnce(0);
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: pipeline.queueUrl('delivery'), MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const original = Messages.find((message) => message.Body!.includes(published.body.id));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: pipeline.queueUrl('delivery'), ReceiptHandle: original!.ReceiptHandle! }));
      const newer = JSON.stringify({ ...JSON.parse(original!.Body!), addedByANewerVersion: { priority: 'high' } });
      await sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrl('delivery'), MessageBody: newer }));

      // Act
      await pipeline.drain({ until: () => target.requests.length >= 1 });
      await pipeline.drain();

      // Assess
      expect(Messages).toHaveLength(1);
      expect(target.requests).toHaveLength(1);
      expect(target.requests[0]!.headers['webhook-id']).toBe(published.body.id);
      expect(await receiveAll(sqs, pipeline.queueUrl('deliveryDlq'))).toEqual([]);
    });
  });

  describe('Handler: fan-out', () => {
    it('moves a malformed fan-out message to its dead-letter queue', async () => {
      // Prepare
      const sqs = new SQSClient(sqsClientConfig(localEndpoints().sqsEndpoint));
      await sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrl('fanout'), MessageBody: '{"v":2}' }));

      // Act
      const result = await pipeline.fanout.pollOnce(0);

      // Assess
      expect(result).toMatchObject({ received: 1, deleted: 1 });
      expect(await receiveAll(sqs, pipeline.queueUrl('fanoutDlq'))).toEqual(['{"v":2}']);
    });
  });
});
