import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/core/resource-env';
import { startRecordedPipeline, type SentCommand } from '../support/function-commands';
import { LOCAL_DELIVERY, type Pipeline, pollUntilReceived } from '../support/pipeline';
import { Receiver, ReceiverPool } from '../support/receiver';

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);

/**
 * Read-your-writes for subscriptions (docs/delivery-semantics.md): a subscription created or
 * changed before an event was accepted applies to it. DynamoDB Local is always consistent, so the
 * reads' own requests are what shows that ingest, fan-out and delivery ask for strong consistency;
 * the pipeline then shows that delivery's cache does not serve a subscription older than the one
 * fan-out saw.
 */
describe('Subscriptions: read-your-writes', () => {
  let pipeline: Pipeline;
  let sent: SentCommand[];
  const receivers = new ReceiverPool();

  beforeAll(async () => {
    // A tenant of one subscription is fanned out by ingest, a larger one by the fan-out function.
    ({ pipeline, sent } = await startRecordedPipeline({ ...LOCAL_DELIVERY, INLINE_FANOUT_LIMIT: '1' }));
  });

  afterAll(receivers.closeAll);

  /** What the functions sent to the subscriptions table while `act` ran. */
  const subscriptionReadsDuring = async (act: () => Promise<unknown>): Promise<SentCommand[]> => {
    const from = sent.length;
    await act();
    const table = pipeline.env[ENV.subscriptionsTable];
    return sent.slice(from).filter((command) => command.service === 'DynamoDB' && READS.has(command.name) && readOptionsOf(command, table) !== undefined);
  };

  /** The part of a read's input about the table: the input itself, or a batch read's entry for the table. */
  const readOptionsOf = (command: SentCommand, table: string | undefined): Record<string, unknown> | undefined => {
    if (command.name === 'BatchGetItem') return (command.input.RequestItems as Record<string, Record<string, unknown>> | undefined)?.[table ?? ''];
    return command.input.TableName === table ? command.input : undefined;
  };

  it('reads subscriptions with strongly consistent reads in ingest, fan-out and delivery', async () => {
    // Prepare: two subscriptions, more than ingest fans out itself
    const key = await pipeline.createKey('consistent-reads');
    const receiver = await receivers.start();
    await pipeline.subscribe(key, `${receiver.url}?s=1`, ['order.*']);
    await pipeline.subscribe(key, `${receiver.url}?s=2`, ['order.*']);

    // Act: each stage on its own, so every read is known to be that stage's
    const ingest = await subscriptionReadsDuring(() => pipeline.publish(key, 'order.created', { orderId: 1 }));
    const fanout = await subscriptionReadsDuring(() => pollUntilReceived(pipeline.fanout));
    // A group carries its subscriptions sealed; one without them (sent before they were, or whose
    // seal does not open) makes delivery read them.
    const [group] = await pipeline.receiveDeliveries(1);
    const unsealed = { ...group!, Body: JSON.stringify({ ...JSON.parse(group!.Body!), sealed: undefined }) };
    const delivery = await subscriptionReadsDuring(() => pipeline.invokeDelivery([unsealed], 60_000));

    // Assess: each stage read the subscriptions (delivery's cache is cold for new ones: it reads the
    // group's two in one batch), every read consistent
    expect(receiver.requests).toHaveLength(2);
    const table = pipeline.env[ENV.subscriptionsTable];
    for (const [stage, reads, operation] of [
      ['ingest', ingest, 'Query'],
      ['fan-out', fanout, 'Query'],
      ['delivery', delivery, 'BatchGetItem'],
    ] as const) {
      expect(reads.map((read) => read.name), stage).toContain(operation);
      for (const read of reads) expect(readOptionsOf(read, table), `${stage} ${read.name}`).toMatchObject({ ConsistentRead: true });
    }
  });

  it('delivers an event accepted after a subscription changed by the change, though delivery has it cached', async () => {
    // Prepare: delivery reads and caches the subscription with the first event
    const key = await pipeline.createKey('changed-subscription');
    const before = await receivers.start();
    const after = await receivers.start();
    const subscription = await pipeline.subscribe(key, before.url, ['order.*']);
    const first = await pipeline.publish(key, 'order.created', { orderId: 1 });
    await pipeline.drain({ until: () => before.requests.length >= 1, timeoutMs: 10_000 });
    await pipeline.drain();
    const changed = await pipeline.call('PATCH', `/v1/subscriptions/${subscription.id}`, {
      key,
      body: { url: after.url, headers: { 'x-route': 'after-the-change' } },
    });

    // Act
    const second = await pipeline.publish(key, 'order.updated', { orderId: 1 });
    await pipeline.drain({ until: () => before.requests.length + after.requests.length >= 2, timeoutMs: 10_000 });
    await pipeline.drain();

    // Assess
    expect(changed.status).toBe(200);
    expect(before.requests.map((request) => request.headers['webhook-id'])).toEqual([first.id]);
    expect(before.requests[0]!.headers['x-route']).toBeUndefined();
    expect(after.requests.map((request) => request.headers['webhook-id'])).toEqual([second.id]);
    expect(after.requests[0]!.headers['x-route']).toBe('after-the-change');
    expect(Receiver.verify(after.requests[0]!, subscription.secret)).toMatchObject({ type: 'order.updated', data: { orderId: 1 } });
  });
});
