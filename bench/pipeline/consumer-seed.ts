import { BatchWriteItemCommand, DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { consumerItem } from '../../lambdas/aws/dynamo-consumer-store';
import { locatorItem, subscriptionItem } from '../../lambdas/aws/dynamo-subscription-store';
import type { Item } from '../../lambdas/aws/dynamo-support';
import { awsClientConfig } from '../../local/emulators';
import { benchSubscription } from '../bench-subscription';

/** BatchWriteItem's most items per request. */
const BATCH_ITEMS = 25;
const WRITERS = 16;

/** Consumers of the large tenant; `BENCH_CONSUMERS` sets another number (seeding a million subscriptions takes a while). */
export const DEFAULT_CONSUMERS = 100_000;

/** The number of consumers to seed: `BENCH_CONSUMERS`, else the default. */
export const consumerCount = (text = process.env.BENCH_CONSUMERS): number => {
  if (text === undefined || text === '') return DEFAULT_CONSUMERS;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1) throw new Error(`BENCH_CONSUMERS must be a whole number of consumers, at least 1; got "${text}"`);
  return count;
};

export interface ConsumerSeed {
  tenantId: string;
  consumers: number;
  subscriptionsPerConsumer: number;
  eventType: string;
  /** The URL of a consumer's `index`th subscription. */
  urlFor: (index: number) => string;
}

/** Consumer ids of a seed, in sort-key order: `c-0000000`, `c-0000001`... */
export const seededConsumerId = (index: number): string => `c-${String(index).padStart(7, '0')}`;

/**
 * The items the API would have written for each consumer and its subscriptions: the consumer, then
 * each subscription and its locator, built by the stores' own item functions. The owners' counters
 * are left out: only a create reads them, and a first create counts the owner itself.
 */
function* seedItems(seed: ConsumerSeed): Generator<Item> {
  const now = new Date().toISOString();
  for (let c = 0; c < seed.consumers; c++) {
    const consumerId = seededConsumerId(c);
    yield consumerItem({ tenantId: seed.tenantId, id: consumerId, createdAt: now, updatedAt: now });
    for (let s = 0; s < seed.subscriptionsPerConsumer; s++) {
      const subscription = benchSubscription(seed.tenantId, seed.urlFor(s), seed.eventType, consumerId);
      yield subscriptionItem(subscription);
      yield locatorItem(seed.tenantId, subscription.id, consumerId);
    }
  }
}

/** Sends one batch, again with whatever DynamoDB left unprocessed, until all is written. */
const writeBatch = async (client: DynamoDBClient, table: string, requests: WriteRequest[]): Promise<void> => {
  let pending: WriteRequest[] = requests;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
    const { UnprocessedItems } = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
    pending = UnprocessedItems?.[table] ?? [];
  }
};

/**
 * Writes a tenant's consumers and their subscriptions straight into the subscriptions table with
 * parallel BatchWriteItem requests: a million subscriptions through the API would take hours.
 * Returns the number of items written.
 */
export const seedConsumers = async (dynamoEndpoint: string, table: string, seed: ConsumerSeed): Promise<number> => {
  const client = new DynamoDBClient(awsClientConfig(dynamoEndpoint));
  const items = seedItems(seed);
  let written = 0;
  const nextBatch = (): WriteRequest[] => {
    const batch: WriteRequest[] = [];
    for (let next = items.next(); !next.done; next = items.next()) {
      batch.push({ PutRequest: { Item: next.value } });
      if (batch.length === BATCH_ITEMS) break;
    }
    return batch;
  };
  const writer = async (): Promise<void> => {
    for (let batch = nextBatch(); batch.length > 0; batch = nextBatch()) {
      await writeBatch(client, table, batch);
      written += batch.length;
    }
  };
  try {
    await Promise.all(Array.from({ length: WRITERS }, writer));
  } finally {
    client.destroy();
  }
  return written;
};
