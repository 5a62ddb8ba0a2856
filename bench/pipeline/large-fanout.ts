import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoSubscriptionStore } from '../../lambdas/aws/dynamo-subscription-store';
import { awsClientConfig } from '../../local/emulators';
import { LOCAL_TENANT } from '../../local/runtime';
import type { Benchmark, BenchSection, TargetCheck } from '../report';
import { DELIVERY_GROUP_SIZE } from '../../lambdas/core/messages';
import { shortResourceName } from './requests-per-delivery';
import { waitUntil, withPipeline, type PipelineSession } from './runtime';
import { benchSubscription } from '../bench-subscription';

const SUBSCRIPTIONS = 10_000;
const WRITE_CONCURRENCY = 32;
const TYPE = 'bench.large';

/**
 * Stores the subscriptions through the product's own store (the item shape the API writes),
 * straight into the table: creating ten thousand through the API measures the API, not fan-out.
 */
const createSubscriptions = async (session: PipelineSession): Promise<void> => {
  const store = new DynamoSubscriptionStore(new DynamoDBClient(awsClientConfig(session.dynamoEndpoint)), session.subscriptionsTable);
  let next = 0;
  const writer = async () => {
    while (next < SUBSCRIPTIONS) {
      const index = next++;
      const subscription = benchSubscription(LOCAL_TENANT, session.receiver.urlFor(index), TYPE);
      await store.create(subscription);
    }
  };
  await Promise.all(Array.from({ length: WRITE_CONCURRENCY }, writer));
};

interface LargeFanOutRun {
  setupSeconds: number;
  fanOutMs: number;
  batches: number;
  messages: number;
  enqueued: number;
  queryPages: number;
  continuations: number;
  receivedByThen: number;
}

const measure = (): Promise<LargeFanOutRun> =>
  withPipeline({}, async (session) => {
    const setupStart = performance.now();
    await createSubscriptions(session);
    const setupSeconds = (performance.now() - setupStart) / 1000;
    session.aws.reset();
    session.receiver.reset();
    await session.api.publish(TYPE, 0);
    const acceptedAt = performance.now();
    const deliverySends = () =>
      session.aws.snapshot().filter((c) => c.caller === 'function' && c.service === 'SQS' && shortResourceName(c.resource) === 'Delivery' && c.messages !== undefined);
    // Deliveries that fan-out enqueued; retries the delivery function sends are not fan-out's.
    const enqueued = () => deliverySends().reduce((sum, c) => sum + ((c.groupMessages ?? 0) > 0 ? (c.deliveries ?? 0) : 0), 0);
    await waitUntil(() => enqueued() >= SUBSCRIPTIONS, 180_000, `${SUBSCRIPTIONS} deliveries enqueued`);
    const sends = deliverySends().filter((c) => (c.groupMessages ?? 0) > 0);
    const calls = session.aws.snapshot();
    return {
      setupSeconds,
      fanOutMs: Math.max(...sends.map((c) => c.endedAt)) - acceptedAt,
      batches: sends.filter((c) => c.operation === 'SendMessageBatch').length,
      messages: sends.reduce((sum, c) => sum + (c.groupMessages ?? 0), 0),
      enqueued: enqueued(),
      queryPages: calls.filter((c) => c.caller === 'function' && c.operation === 'Query' && shortResourceName(c.resource) === 'Subscriptions').length,
      continuations: calls.filter((c) => c.caller === 'function' && c.operation === 'SendMessage' && shortResourceName(c.resource) === 'Fanout').length - 1,
      receivedByThen: session.receiver.delivered.length,
    };
  });

const runLargeFanOut = async (): Promise<BenchSection> => {
  const run = await measure();
  const targetMessages = Math.ceil(SUBSCRIPTIONS / DELIVERY_GROUP_SIZE);
  const targetBatches = Math.ceil(targetMessages / 10);
  const target: TargetCheck = {
    name: `fan-out to ${SUBSCRIPTIONS.toLocaleString('en')} subscriptions`,
    target: `one message per ${DELIVERY_GROUP_SIZE} deliveries (${targetMessages}), SendMessageBatch = ceil(messages/10) = ${targetBatches}; DESIGN asks ceil(n/10) = ${Math.ceil(SUBSCRIPTIONS / 10)}`,
    measured: `${run.messages} messages in ${run.batches} batches`,
    met: run.messages === targetMessages && run.batches === targetBatches,
  };
  return {
    id: 'large-fanout',
    title: 'Large fan-out: one event to 10,000 subscriptions',
    method:
      `${SUBSCRIPTIONS.toLocaleString('en')} subscriptions to one event type are written straight into the local subscriptions table through the product's subscription store ` +
      `(${run.setupSeconds.toFixed(1)} s), then one 1 KB event is posted. Time runs from the 202 to the answer of the last SendMessageBatch that puts a group of deliveries ` +
      'on the delivery queue, counted on the wire like every AWS request here; meanwhile the delivery function already delivers to a loopback receiver. The runtime is stopped ' +
      'once fan-out is done, without waiting for every delivery.',
    columns: ['measure', 'value'],
    rows: [
      ['accepted -> all delivery messages enqueued', `${(run.fanOutMs / 1000).toFixed(2)} s`],
      ['deliveries enqueued', String(run.enqueued)],
      ['delivery messages (groups of up to ten)', `${run.messages} (target ${targetMessages})`],
      ['SendMessageBatch calls', `${run.batches} (target ${targetBatches})`],
      ['subscription Query pages', String(run.queryPages)],
      ['fan-out continuations (follow-up messages)', String(run.continuations)],
      ['deliveries received by then', String(run.receivedByThen)],
    ],
    targets: [target],
  };
};

export const largeFanOutBenchmark: Benchmark = { id: 'large-fanout', title: 'Large fan-out: one event to 10,000 subscriptions', run: runLargeFanOut };
