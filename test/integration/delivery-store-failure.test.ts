import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/core/resource-env';
import { newId } from '../../lambdas/core/ids';
import { deliveryMessage } from '../../lambdas/core/messages';
import { localClients } from '../support/emulators';
import { deliveryWiredWith, pollUntilReceived, startPipeline, type Pipeline } from '../support/pipeline';
import { queueDepth } from '../support/queues';
import { ReceiverPool } from '../support/receiver';

/**
 * "Nothing is deleted unless it was delivered or recorded" (docs/delivery-semantics.md), with a
 * delivery log that cannot be written: the delivery function is built with a deliveries table that
 * does not exist, so every read and write of it fails as an AWS error would. The attempt is made, its
 * outcome cannot be recorded, and the message must stay on the delivery queue to be received
 * again: not deleted, and not moved to the dead-letter queue either.
 */
describe('Delivery with a delivery log that cannot be written', () => {
  let pipeline: Pipeline;
  const receivers = new ReceiverPool();

  beforeAll(async () => {
    pipeline = await startPipeline(
      { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8' },
      { delivery: deliveryWiredWith({ changeEnv: (env) => ({ ...env, [ENV.deliveriesTable]: `missing-deliveries-${newId('key')}` }) }) },
    );
  });

  afterAll(receivers.closeAll);

  /** Messages on the delivery queue (visible, in flight, delayed) and on its dead-letter queue. */
  const depths = async () => ({
    queue: await queueDepth(localClients().sqs, pipeline.queueUrl('delivery')),
    deadLetters: await queueDepth(localClients().sqs, pipeline.queueUrl('deliveryDlq')),
  });

  it.each([
    ["the group's log entry of a delivered first attempt", 200],
    ['the delivery record of a failed first attempt', 500],
  ] as const)('keeps a group message on the queue when %s cannot be written (receiver answers %i)', async (_lost, answer) => {
    // Prepare
    const key = await pipeline.createKey(`unrecorded-group-${answer}`);
    const receiver = await receivers.start(() => ({ status: answer, body: 'answer' }));
    await pipeline.subscribe(key, receiver.url, ['order.*']);
    const before = await depths();
    const event = await pipeline.publish(key, 'order.created', { orderId: answer });

    // Act
    const polled = await pollUntilReceived(pipeline.delivery);
    const after = await depths();

    // Assess: the attempt was made, its outcome not recorded, and the message not deleted
    expect(receiver.requests.map((request) => request.headers['webhook-id'])).toEqual([event.id]);
    expect(polled).toMatchObject({ received: 1, deleted: 0, retained: 1 });
    expect(after.queue).toBe(before.queue + 1);
    expect(after.deadLetters).toBe(0);
  });

  it('keeps a single delivery message on the queue when its delivery record cannot be written', async () => {
    // Prepare: one delivery of its own (as a retry or a replay travels), the data inline
    const key = await pipeline.createKey('unrecorded-single');
    const receiver = await receivers.start(() => ({ status: 200 }));
    const subscription = await pipeline.subscribe(key, receiver.url, ['order.*']);
    const eventId = newId('evt');
    const message = deliveryMessage(
      { tenantId: 'unrecorded-single', eventId, eventType: 'order.created', createdAt: new Date().toISOString(), run: eventId },
      { dataJson: '{"orderId":7}', hasData: true },
      { id: subscription.id, version: 1 },
    );
    const before = await depths();
    await localClients().sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrl('delivery'), MessageBody: JSON.stringify(message) }));

    // Act
    const polled = await pollUntilReceived(pipeline.delivery);
    const after = await depths();

    // Assess
    expect(receiver.requests.map((request) => request.headers['webhook-id'])).toEqual([eventId]);
    expect(polled).toMatchObject({ received: 1, deleted: 0, retained: 1 });
    expect(after.queue).toBe(before.queue + 1);
    expect(after.deadLetters).toBe(0);
  });
});
