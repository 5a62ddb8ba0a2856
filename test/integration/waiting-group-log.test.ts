import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import type { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { DynamoSubscriptionStore } from '../../lambdas/aws/dynamo-subscription-store';
import { ENV } from '../../lambdas/core/resource-env';
import { localClients } from '../support/emulators';
import { deliveryWiredWith, startPipeline, type Pipeline } from '../support/pipeline';
import { ReceiverPool } from '../support/receiver';

const TENANT = 'waiting-group';
const ENDPOINTS = 3;

/**
 * A group message back on the queue while the circuit of every one of its endpoints is open,
 * through the real delivery handler: it writes one `delivery` line naming all its subscriptions,
 * not one per delivery, and sends nothing.
 */
describe('Delivery: a group that waits whole on open circuits', () => {
  let pipeline: Pipeline;
  let info: MockInstance<Logger['info']>;
  const receivers = new ReceiverPool();

  beforeAll(async () => {
    pipeline = await startPipeline(
      { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8' },
      { delivery: deliveryWiredWith({ inspect: (deps) => (info = vi.spyOn(deps.logger, 'info')) }) },
    );
  });

  afterAll(receivers.closeAll);

  it('logs one line for the group, with every subscription, and calls none of its endpoints', async () => {
    // Prepare: three endpoints whose circuits opened a moment ago, their next probes an hour away.
    const key = await pipeline.createKey(TENANT);
    const receiver = await receivers.start(() => ({ status: 200 }));
    const store = new DynamoSubscriptionStore(localClients().dynamo, pipeline.env[ENV.subscriptionsTable]!);
    const ids: string[] = [];
    for (let i = 0; i < ENDPOINTS; i++) {
      const { id } = await pipeline.subscribe(key, receiver.url, ['order.*']);
      const now = Date.now();
      const nextProbeAt = new Date(now + 3_600_000).toISOString();
      await store.openCircuit({ tenantId: TENANT }, id, { at: new Date(now).toISOString(), nextProbeAt, probeSeconds: 3600 });
      ids.push(id);
    }
    const event = await pipeline.publish(key, 'order.created', { orderId: 1 });
    // The group's first receive, handed back at once: the next one is its second.
    const [first] = await pipeline.receiveDeliveries(1);
    await localClients().sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: pipeline.queueUrl('delivery'), ReceiptHandle: first!.ReceiptHandle!, VisibilityTimeout: 0 }),
    );
    const [again] = await pipeline.receiveDeliveries(1);
    info.mockClear();

    // Act
    const response = await pipeline.invokeDelivery([again!], 30_000);

    // Assess
    const lines = info.mock.calls.filter(([message]) => message === 'delivery').map(([, fields]) => fields as Record<string, unknown>);
    expect(again!.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: again!.MessageId }]);
    expect(lines).toEqual([
      expect.objectContaining({
        tenantId: TENANT,
        eventId: event.id,
        subscriptionIds: [...ids].sort(),
        action: 'retry_later',
        deferred: 'circuit_open',
      }),
    ]);
    expect(receiver.requests).toEqual([]);
  });
});
