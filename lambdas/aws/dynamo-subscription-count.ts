import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { SubscriptionOwner } from '../core/model';
import { TABLE_KEYS } from '../core/resource-env';
import { toItem, writtenIf, type Item } from './dynamo-support';
import { ownerPartition, subscriptionCountKey } from './subscription-table-keys';

const { partitionKey: PK } = TABLE_KEYS;

/** Rounds of take-then-look a create makes before giving up (each needs a change in between). */
const MAX_TAKE_ROUNDS = 5;

/**
 * The number of subscriptions of each owner (a tenant's own, and each of its consumers' apart),
 * kept in one counter item per owner so that a create
 * at the limit is refused by a single conditional write: DynamoDB applies writes to one item one at
 * a time, so of two creates racing for the last place only one gets it. A create takes a place
 * before it stores its subscription (and gives it back if that fails), a delete gives one back
 * after its subscription is gone: a function stopped between the two writes leaves the count one
 * too high, never too low, so a tenant is never let past its limit.
 *
 * A tenant whose subscriptions were made before the count existed is counted once, at its next
 * create, with one query of its subscriptions.
 */
export class DynamoSubscriptionCount {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Takes one of the tenant's `max` places (any number without one); false when all are taken. */
  async take(owner: SubscriptionOwner, max: number | undefined): Promise<boolean> {
    for (let round = 0; round < MAX_TAKE_ROUNDS; round++) {
      if (await this.tryTake(owner, max)) return true;
      const count = await this.read(owner);
      if (count === undefined) await this.start(owner);
      else if (max !== undefined && count >= max) return false;
      // Otherwise a place was given back between the two: try again.
    }
    throw new Error(`the subscription count of ${ownerPartition(owner)} changed ${MAX_TAKE_ROUNDS} times during one create`);
  }

  /** Gives a place back; nothing for a tenant not counted yet. */
  async giveBack(owner: SubscriptionOwner): Promise<void> {
    await writtenIf(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: subscriptionCountKey(owner),
          UpdateExpression: 'ADD #count :minusOne',
          ConditionExpression: '#count > :zero',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: toItem({ ':minusOne': -1, ':zero': 0 }),
        }),
      ),
    );
  }

  /** The count, undefined for a tenant not counted yet. */
  async read(owner: SubscriptionOwner): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: subscriptionCountKey(owner), ConsistentRead: true }),
    );
    return Item?.count?.N === undefined ? undefined : Number(Item.count.N);
  }

  private tryTake(owner: SubscriptionOwner, max: number | undefined): Promise<boolean> {
    return writtenIf(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: subscriptionCountKey(owner),
          UpdateExpression: 'ADD #count :one',
          ConditionExpression: max === undefined ? 'attribute_exists(#count)' : '#count < :max',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: toItem({ ':one': 1, ...(max === undefined ? {} : { ':max': max }) }),
        }),
      ),
    );
  }

  /** Counts the tenant's subscriptions into a new counter; a counter written meanwhile wins. */
  private async start(owner: SubscriptionOwner): Promise<void> {
    let count = 0;
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :tenant',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: toItem({ ':tenant': ownerPartition(owner) }),
          Select: 'COUNT',
          ConsistentRead: true,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    await writtenIf(
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...subscriptionCountKey(owner), ...toItem({ count }) },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      ),
    );
  }
}
