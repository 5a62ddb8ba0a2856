import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, startTcpServer, type FaultServer } from '../support/fault-receivers';
import { startPipeline, type Pipeline } from '../support/pipeline';

/**
 * Two invocations of the delivery function in one module at once, as the local runtime runs
 * them: the one whose deadline comes first stops its own deliveries, never the other's.
 */
describe('Delivery function: concurrent invocations in one module', () => {
  let pipeline: Pipeline;
  let silent: FaultServer;
  let slow: FaultServer;

  beforeAll(async () => {
    pipeline = await startPipeline({
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
      WEBHOOK_TIMEOUT_MS: '30000',
    });
    silent = await startTcpServer((socket) => socket.resume());
    slow = await startHttpServer((_req, res) => void setTimeout(() => res.writeHead(200).end(), 2_500));
  });

  afterAll(async () => {
    await Promise.all([silent.close(), slow.close()]);
  });

  it('aborts only the invocation whose deadline came: the other one still delivers', async () => {
    // Prepare: one tenant's endpoint never answers, another's answers after 2.5 s.
    const hangingKey = await pipeline.createKey('signal-hanging');
    const slowKey = await pipeline.createKey('signal-slow');
    await pipeline.subscribe(hangingKey, silent.url());
    await pipeline.subscribe(slowKey, slow.url());
    const hanging = await pipeline.publish(hangingKey, 'order.created', { n: 1 });
    const answered = await pipeline.publish(slowKey, 'order.created', { n: 2 });
    const messages = await pipeline.receiveDeliveries(2);
    const forEvent = (id: string) => messages.filter((m) => m.Body!.includes(id));

    // Act: the hanging tenant's invocation has 3 s left (its deliveries stop 2 s before), the other a minute.
    const [, long] = await Promise.all([pipeline.invokeDelivery(forEvent(hanging.id), 3_000), pipeline.invokeDelivery(forEvent(answered.id), 60_000)]);

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
