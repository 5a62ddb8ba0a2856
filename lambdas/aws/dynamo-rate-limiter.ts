import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '../core/env-names';
import { rateDecision, type RateDecision, type RateLimiter } from '../core/rate-limit';
import { toItem } from './dynamo-support';

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE_KEYS;
/** Counters outlive their second briefly; TTL removes them. */
const COUNTER_TTL_SECONDS = 120;

/**
 * Counters live beside the subscription's delivery records (same partition, sort key
 * `rate#<epoch second>`), outside the range of event ids that delivery queries read.
 */
export class DynamoRateLimiter implements RateLimiter {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly random: () => number = Math.random,
  ) {}

  async acquire(tenantId: string, subscriptionId: string, limitPerSecond: number, nowMs: number): Promise<RateDecision> {
    const second = Math.floor(nowMs / 1000);
    const { Attributes } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: toItem({ [PK]: `${tenantId}#${subscriptionId}`, [SK]: `rate#${second}` }),
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
