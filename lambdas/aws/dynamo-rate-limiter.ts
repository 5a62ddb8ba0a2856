import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '../core/resource-env';
import { rateDecision, type RateDecision, type RateLimiter } from '../core/rate-limit';
import { toItem, type Item } from './dynamo-support';

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE_KEYS;
/** Counters outlive their second briefly; TTL removes them. */
const COUNTER_TTL_SECONDS = 120;

/** Where the counter of one scope and second lives in its table. */
export type CounterKey = (tenantId: string, scope: string, second: number) => Record<string, string>;

/**
 * Subscription counters live beside the subscription's delivery records (same partition, sort key
 * `rate#<epoch second>`), outside the range of event ids that delivery queries read.
 */
export const subscriptionCounterKey: CounterKey = (tenantId, subscriptionId, second) => ({
  [PK]: `${tenantId}#${subscriptionId}`,
  [SK]: `rate#${second}`,
});

/** Tenant counters live in the events table under a partition key no event or claim can have. */
export const tenantCounterKey: CounterKey = (tenantId, scope, second) => ({ [PK]: `${tenantId}#rate#${scope}#${second}` });

/** Per-second counters shared by every function instance: one `UpdateItem` per acquisition. */
export class DynamoRateLimiter implements RateLimiter {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly keyOf: CounterKey = subscriptionCounterKey,
    private readonly random: () => number = Math.random,
  ) {}

  async acquire(tenantId: string, scope: string, limitPerSecond: number, nowMs: number): Promise<RateDecision> {
    const second = Math.floor(nowMs / 1000);
    const { Attributes } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: toItem(this.keyOf(tenantId, scope, second)) as Item,
        UpdateExpression: 'ADD #count :one SET #ttl = :ttl',
        ExpressionAttributeNames: { '#count': 'count', '#ttl': TTL },
        ExpressionAttributeValues: toItem({ ':one': 1, ':ttl': second + COUNTER_TTL_SECONDS }),
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const count = Number(Attributes?.count?.N ?? '1');
    return rateDecision(count, limitPerSecond, this.random());
  }
}
