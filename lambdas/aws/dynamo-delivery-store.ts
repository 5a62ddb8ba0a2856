import { BatchGetItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '../core/env-names';
import { idBoundary } from '../core/ids';
import type { DeliveryRecord } from '../core/model';
import type { DeliveryListQuery, DeliveryStore, Page, RecordAttemptResult } from '../core/ports';
import { decodeCursor, encodeCursor, fromItem, isConditionFailure, toItem, type Item } from './dynamo-support';

const { partitionKey: PK, sortKey: SK } = TABLE_KEYS;

/**
 * One record per (subscription, event), keyed by subscription then event id. Event ids sort by
 * time, so a subscription's deliveries in a time window are one key range: no index to pay for on
 * every write. An event's deliveries are read by key for its tenant's subscriptions.
 */
const partitionOf = (tenantId: string, subscriptionId: string) => `${tenantId}#${subscriptionId}`;
const keyOf = (tenantId: string, subscriptionId: string, eventId: string) =>
  toItem({ [PK]: partitionOf(tenantId, subscriptionId), [SK]: eventId });

const toRecord = (item: Item): DeliveryRecord => {
  const { [PK]: _pk, [SK]: _sk, ...record } = fromItem<DeliveryRecord & { [PK]: string; [SK]: string }>(item);
  return record;
};

const BATCH_GET_LIMIT = 100;
const MAX_UNPROCESSED_ROUNDS = 5;

export class DynamoDeliveryStore implements DeliveryStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(tenantId: string, subscriptionId: string, eventId: string): Promise<DeliveryRecord | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: keyOf(tenantId, subscriptionId, eventId), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : toRecord(Item);
  }

  async recordAttempt(record: DeliveryRecord, previousAttempts: number): Promise<RecordAttemptResult> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({ [PK]: partitionOf(record.tenantId, record.subscriptionId), [SK]: record.eventId, ...record }),
          ConditionExpression: 'attribute_not_exists(#pk) OR #run < :run OR (#run = :run AND #attempts = :previous)',
          ExpressionAttributeNames: { '#pk': PK, '#run': 'run', '#attempts': 'attempts' },
          ExpressionAttributeValues: toItem({ ':run': record.run, ':previous': previousAttempts }),
        }),
      );
      return 'recorded';
    } catch (error) {
      if (isConditionFailure(error)) return 'conflict';
      throw error;
    }
  }

  async listBySubscription(
    tenantId: string,
    subscriptionId: string,
    query: DeliveryListQuery,
  ): Promise<Page<DeliveryRecord>> {
    const startAfter = decodeCursor(query.cursor);
    const from = idBoundary('evt', query.since ?? 0, 'lowest');
    const to = idBoundary('evt', query.until ?? 8.64e15, 'highest');
    // DynamoDB refuses a BETWEEN whose bounds are reversed and a start key outside the range (a
    // cursor from another window, or made up): newest first, one at or below `from` leaves
    // nothing, and one above `to` leaves the whole window.
    if (from > to || (startAfter !== undefined && startAfter <= from)) return { items: [] };
    const exclusiveStart = startAfter !== undefined && startAfter <= to ? startAfter : undefined;
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ...(query.status === undefined ? {} : { FilterExpression: '#status = :status' }),
        ExpressionAttributeNames: {
          '#pk': PK,
          '#sk': SK,
          ...(query.status === undefined ? {} : { '#status': 'status' }),
        },
        ExpressionAttributeValues: toItem({
          ':pk': partitionOf(tenantId, subscriptionId),
          ':from': from,
          ':to': to,
          ...(query.status === undefined ? {} : { ':status': query.status }),
        }),
        ScanIndexForward: false,
        Limit: query.limit,
        ...(exclusiveStart === undefined ? {} : { ExclusiveStartKey: keyOf(tenantId, subscriptionId, exclusiveStart) }),
      }),
    );
    const cursor = encodeCursor(result.LastEvaluatedKey, SK);
    return { items: (result.Items ?? []).map(toRecord), ...(cursor === undefined ? {} : { cursor }) };
  }

  async getForEvent(tenantId: string, eventId: string, subscriptionIds: readonly string[]): Promise<DeliveryRecord[]> {
    const records: DeliveryRecord[] = [];
    for (let i = 0; i < subscriptionIds.length; i += BATCH_GET_LIMIT) {
      let keys: Item[] = subscriptionIds.slice(i, i + BATCH_GET_LIMIT).map((id) => keyOf(tenantId, id, eventId));
      for (let round = 0; keys.length > 0; round++) {
        if (round === MAX_UNPROCESSED_ROUNDS) throw new Error('DynamoDB kept returning unprocessed keys');
        const result = await this.client.send(
          new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        records.push(...(result.Responses?.[this.tableName] ?? []).map(toRecord));
        keys = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (keys.length > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
      }
    }
    return records;
  }
}
