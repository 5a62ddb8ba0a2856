import { DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClients } from '../support/emulators';
import { startTcpServer, waitFor, type FaultServer } from '../support/fault-receivers';
import { startPipeline, type Pipeline } from '../support/pipeline';
import { queueDepth } from '../support/queues';
import { Receiver } from '../support/receiver';

/**
 * An invocation held up by an endpoint that never answers keeps working: it takes the messages
 * that arrive meanwhile and delivers them, instead of leaving them to wait for a free invocation.
 */
describe('Delivery function: work while waiting', () => {
  let pipeline: Pipeline;
  let silent: FaultServer;
  let healthy: Receiver;
  const { sqs } = localClients();

  beforeAll(async () => {
    pipeline = await startPipeline({
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
      WEBHOOK_TIMEOUT_MS: '6000',
      WEBHOOK_SLOW_ATTEMPT_MS: '300',
    });
    silent = await startTcpServer((socket) => socket.resume());
    healthy = await Receiver.start();
  });

  afterAll(async () => {
    await silent.close();
    await healthy.close();
  });

  it('delivers a message that arrived while its own batch waited on a silent endpoint, before that batch ends', async () => {
    // Prepare: the invocation's own batch is one delivery to an endpoint that never answers.
    const hangingKey = await pipeline.createKey('waiting-hanging');
    const otherKey = await pipeline.createKey('waiting-other');
    await pipeline.subscribe(hangingKey, silent.url());
    await pipeline.subscribe(otherKey, healthy.url);
    await pipeline.publish(hangingKey, 'order.created', { n: 1 });
    const [own] = await pipeline.receiveDeliveries(1);

    // Act: the invocation runs; another tenant's event is accepted while it waits.
    let ended = 0;
    const invocation = pipeline.invokeDelivery([own!], 60_000).then((response) => {
      ended = Date.now();
      return response;
    });
    await waitFor(() => silent.connections === 1, 5_000, 'the silent endpoint to be called');
    const other = await pipeline.publish(otherKey, 'order.created', { n: 2 });
    const response = await invocation;
    // As the event source would: its own message is deleted (it reported no failure).
    expect(response).toEqual({ batchItemFailures: [] });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: pipeline.queueUrl('delivery'), ReceiptHandle: own!.ReceiptHandle! }));

    // Assess: delivered by the held invocation, before it ended, and removed from the queue; what
    // is left is the silent endpoint's retry, which left the group as a message of its own.
    expect(healthy.requests.map((request) => request.headers['webhook-id'])).toEqual([other.id]);
    expect(healthy.requests[0]!.receivedAt).toBeLessThan(ended);
    expect(await queueDepth(sqs, pipeline.queueUrl('delivery'))).toBe(1);
    const deliveries = await pipeline.call('GET', `/v1/events/${other.id}/deliveries`, { key: otherKey });
    expect(deliveries.body.items).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1 })]);
  });
});
