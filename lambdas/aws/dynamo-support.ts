import { BatchGetItemCommand, ConditionalCheckFailedException, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Page, PageRequest } from '../core/ports';
import { TABLE_KEYS } from '../core/resource-env';
import { InvalidCursorError } from '../core/errors';
import { fromAttributeMap, toAttributeMap } from './dynamo-values';

export type Item = Record<string, AttributeValue>;

export const toItem = (value: object): Item => toAttributeMap(value);

export const fromItem = <T>(item: Item): T => fromAttributeMap(item) as T;

export const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof Error && error.name === 'ConditionalCheckFailedException');

/** Sends a conditional write: true when it was written, false when its condition failed. */
export const writtenIf = async (write: Promise<unknown>): Promise<boolean> => {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
};

const BATCH_GET_LIMIT = 100;
const MAX_UNPROCESSED_ROUNDS = 5;

/**
 * The items of these keys that exist, read strongly consistent with BatchGetItem (100 keys a call;
 * keys DynamoDB leaves unprocessed are asked again, backing off); `keysOnly` reads just the keys.
 */
export const batchGetItems = async (client: DynamoDBClient, tableName: string, allKeys: readonly Item[], { keysOnly = false } = {}): Promise<Item[]> => {
  const { partitionKey: PK, sortKey: SK } = TABLE_KEYS;
  const items: Item[] = [];
  for (let i = 0; i < allKeys.length; i += BATCH_GET_LIMIT) {
    let keys: Item[] = allKeys.slice(i, i + BATCH_GET_LIMIT);
    for (let round = 0; keys.length > 0; round++) {
      if (round === MAX_UNPROCESSED_ROUNDS) throw new Error('DynamoDB kept returning unprocessed keys');
      const result = await client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [tableName]: {
              Keys: keys,
              ConsistentRead: true,
              ...(keysOnly ? { ProjectionExpression: '#pk, #sk', ExpressionAttributeNames: { '#pk': PK, '#sk': SK } } : {}),
            },
          },
        }),
      );
      items.push(...(result.Responses?.[tableName] ?? []));
      keys = result.UnprocessedKeys?.[tableName]?.Keys ?? [];
      if (keys.length > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
    }
  }
  return items;
};

/**
 * Cursors are opaque to clients: the sort key where the next page starts, encoded. Only the sort
 * key is carried; the partition key always comes from the caller's own tenant, so a cursor cannot
 * reach another tenant's data.
 */
export const encodeCursor = (lastKey: Item | undefined, sortKey: string): string | undefined => {
  const value = lastKey?.[sortKey]?.S;
  return value === undefined ? undefined : encodeSortKey(value);
};

export const encodeSortKey = (value: string): string => Buffer.from(value, 'utf8').toString('base64url');

export const decodeCursor = (cursor: string | undefined): string | undefined => {
  if (cursor === undefined) return undefined;
  const value = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9_#.:-]{1,200}$/.test(value)) throw new InvalidCursorError('cursor is not valid');
  return value;
};


/**
 * One page of a partition's items in sort-key order, strongly consistent, the cursor being the
 * sort key to start after (so it can only page within the partition the caller names).
 */
export const queryPartitionPage = async <T>(
  client: DynamoDBClient,
  tableName: string,
  partition: string,
  page: PageRequest,
  toValue: (item: Item) => T,
): Promise<Page<T>> => {
  const { partitionKey, sortKey } = TABLE_KEYS;
  const startAfter = decodeCursor(page.cursor);
  const result = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: '#pk = :partition',
      ExpressionAttributeNames: { '#pk': partitionKey },
      ExpressionAttributeValues: toItem({ ':partition': partition }),
      ConsistentRead: true,
      Limit: page.limit,
      ...(startAfter === undefined ? {} : { ExclusiveStartKey: toItem({ [partitionKey]: partition, [sortKey]: startAfter }) }),
    }),
  );
  const cursor = encodeCursor(result.LastEvaluatedKey, sortKey);
  return { items: (result.Items ?? []).map(toValue), ...(cursor === undefined ? {} : { cursor }) };
};
