import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '../core/resource-env';
import { idBoundary } from '../core/ids';
import { groupDeliveryRecord, type DeliveryGroupLog, type DeliveryRecord, type GroupDelivery } from '../core/model';
import type { DeliveryGroupStore, DeliveryListQuery, DeliveryStore, Page, RecordAttemptResult } from '../core/ports';
import { batchGetItems, decodeCursor, encodeSortKey, fromItem, isConditionFailure, toItem, type Item } from './dynamo-support';

const { partitionKey: PK, sortKey: SK } = TABLE_KEYS;

/**
 * Two kinds of items. A delivery record per (subscription, event), keyed by subscription then event
 * id: event ids sort by time, so a subscription's deliveries in a time window are one key range, with
 * no index to pay for on every write. And a group log per group message of an event's first run,
 * holding the deliveries that succeeded at their first attempt (one write for up to ten), keyed by
 * the tenant's log shard then event id and the group's first subscription. The shard (of four, by
 * the event id's last character) spreads a busy tenant's log writes over several partitions.
 */
/** The partition of a subscription's delivery records (and of its slow-attempt slots). */
export const deliveryPartitionOf = (tenantId: string, subscriptionId: string) => `${tenantId}#${subscriptionId}`;
const keyOf = (tenantId: string, subscriptionId: string, eventId: string) =>
  toItem({ [PK]: deliveryPartitionOf(tenantId, subscriptionId), [SK]: eventId });

const LOG_SHARDS = 4;
const logPartitionOf = (tenantId: string, shard: number) => `${tenantId}#log#${shard}`;
const logShardOf = (eventId: string) => eventId.charCodeAt(eventId.length - 1) % LOG_SHARDS;
const groupKeyOf = (tenantId: string, eventId: string, firstSubscriptionId: string) =>
  toItem({ [PK]: logPartitionOf(tenantId, logShardOf(eventId)), [SK]: `${eventId}#${firstSubscriptionId}` });

/** Each group entry is one attribute named by its subscription id: "<sent at ms>:<status>:<duration ms>". */
const isSubscriptionAttribute = (name: string) => name.startsWith('sub_');
const encodeEntry = (entry: GroupDelivery) => `${Date.parse(entry.at)}:${entry.statusCode}:${entry.durationMs}`;
const decodeEntry = (value: string): GroupDelivery => {
  const [at, statusCode, durationMs] = value.split(':').map(Number);
  return { at: new Date(at!).toISOString(), statusCode: statusCode!, durationMs: durationMs! };
};

const toRecord = (item: Item): DeliveryRecord => {
  const { [PK]: _pk, [SK]: _sk, ...record } = fromItem<DeliveryRecord & { [PK]: string; [SK]: string }>(item);
  return record;
};

const toGroupLog = (item: Item): DeliveryGroupLog => {
  const { [PK]: _pk, [SK]: sortKey, tenantId, eventId, eventType, expiresAt, ...entries } = fromItem<Record<string, string> & { expiresAt: number }>(item);
  const delivered: Record<string, GroupDelivery> = {};
  for (const [name, value] of Object.entries(entries)) if (isSubscriptionAttribute(name)) delivered[name] = decodeEntry(value);
  return {
    tenantId: tenantId!,
    eventId: eventId!,
    eventType: eventType!,
    firstSubscriptionId: sortKey!.slice(sortKey!.indexOf('#') + 1),
    delivered,
    expiresAt,
  };
};

/** Group items read per query of a subscription's listing: most of them hold other subscriptions. */
const GROUP_SCAN_LIMIT = 100;

interface ListedRow {
  key: string;
  record: DeliveryRecord;
  fromGroup: boolean;
}

export class DynamoDeliveryStore implements DeliveryStore, DeliveryGroupStore {
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
          Item: toItem({ [PK]: deliveryPartitionOf(record.tenantId, record.subscriptionId), [SK]: record.eventId, ...record }),
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

  async getGroup(tenantId: string, eventId: string, firstSubscriptionId: string): Promise<DeliveryGroupLog | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: groupKeyOf(tenantId, eventId, firstSubscriptionId), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : toGroupLog(Item);
  }

  async recordGroup(log: DeliveryGroupLog): Promise<void> {
    const entries = Object.entries(log.delivered);
    if (entries.length === 0) return;
    // SET per entry: a second receive of the same group adds to the item instead of replacing it.
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':tenantId': log.tenantId, ':eventId': log.eventId, ':eventType': log.eventType, ':expiresAt': log.expiresAt };
    const sets = ['tenantId = :tenantId', 'eventId = :eventId', 'eventType = :eventType', 'expiresAt = :expiresAt'];
    entries.forEach(([subscriptionId, entry], index) => {
      names[`#s${index}`] = subscriptionId;
      values[`:s${index}`] = encodeEntry(entry);
      sets.push(`#s${index} = :s${index}`);
    });
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: groupKeyOf(log.tenantId, log.eventId, log.firstSubscriptionId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: toItem(values),
      }),
    );
  }

  /**
   * The subscription's records and its group entries, merged newest first. Each partition is read
   * from the cursor down; the page ends at the highest key where one of them stopped, so nothing
   * below it is skipped, and the next page starts there. Pages may hold fewer items than `limit`.
   */
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
    const range = { from, to, exclusiveStart };
    // Group entries are deliveries that succeeded at their first attempt: only those statuses read them.
    const withGroups = query.status === undefined || query.status === 'delivered';

    const [own, ...groups] = await Promise.all([
      this.queryRange(deliveryPartitionOf(tenantId, subscriptionId), range, query.limit, query.status === undefined ? undefined : {
        expression: '#status = :status',
        names: { '#status': 'status' },
        values: { ':status': query.status },
      }),
      ...(withGroups
        ? Array.from({ length: LOG_SHARDS }, (_, shard) =>
            this.queryRange(logPartitionOf(tenantId, shard), range, Math.max(query.limit, GROUP_SCAN_LIMIT), {
              expression: 'attribute_exists(#sub)',
              names: { '#sub': subscriptionId },
              values: {},
            }),
          )
        : []),
    ]);
    const pages = [own!, ...groups];
    const stops = pages.map((page) => page.lastKey).filter((key): key is string => key !== undefined);
    const boundary = stops.length === 0 ? undefined : stops.reduce((a, b) => (a > b ? a : b));

    let rows: ListedRow[] = [
      ...own!.items.map((item) => ({ key: item[SK]!.S!, record: toRecord(item), fromGroup: false })),
      ...groups.flatMap((page) =>
        page.items.map((item) => ({ key: item[SK]!.S!, record: groupDeliveryRecord(toGroupLog(item), subscriptionId)!, fromGroup: true })),
      ),
    ].filter((row) => boundary === undefined || row.key >= boundary);
    rows = await this.withoutShadowedGroupEntries(tenantId, subscriptionId, rows);
    rows.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));

    let cursorKey = boundary;
    if (rows.length > query.limit) {
      rows = rows.slice(0, query.limit);
      cursorKey = rows.at(-1)!.key;
    }
    return { items: rows.map((row) => row.record), ...(cursorKey === undefined ? {} : { cursor: encodeSortKey(cursorKey) }) };
  }

  async getForEvent(tenantId: string, eventId: string, subscriptionIds: readonly string[]): Promise<DeliveryRecord[]> {
    if (subscriptionIds.length === 0) return [];
    const own = (await batchGetItems(this.client, this.tableName, subscriptionIds.map((id) => keyOf(tenantId, id, eventId)))).map(toRecord);
    const recorded = new Set(own.map((record) => record.subscriptionId));
    const wanted = subscriptionIds.filter((id) => !recorded.has(id));
    const grouped: DeliveryRecord[] = [];
    if (wanted.length > 0) {
      for (const log of await this.groupsCovering(tenantId, eventId, wanted)) {
        for (const id of wanted) {
          const record = groupDeliveryRecord(log, id);
          if (record !== undefined) grouped.push(record);
        }
      }
    }
    return [...own, ...grouped];
  }

  /**
   * The event's groups that can hold these subscriptions. Groups split the event's subscriptions,
   * in id order, into consecutive runs named by their first id: reading down from the highest id,
   * the last group needed is the first one that starts at or below the lowest.
   */
  private async groupsCovering(tenantId: string, eventId: string, subscriptionIds: readonly string[]): Promise<DeliveryGroupLog[]> {
    const lowest = subscriptionIds.reduce((a, b) => (a < b ? a : b));
    const highest = subscriptionIds.reduce((a, b) => (a > b ? a : b));
    const logs: DeliveryGroupLog[] = [];
    let startKey: Item | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: toItem({
            ':pk': logPartitionOf(tenantId, logShardOf(eventId)),
            ':from': `${eventId}#`,
            ':to': `${eventId}#${highest}`,
          }),
          ScanIndexForward: false,
          ConsistentRead: true,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of result.Items ?? []) {
        const log = toGroupLog(item);
        logs.push(log);
        if (log.firstSubscriptionId <= lowest) return logs;
      }
      startKey = result.LastEvaluatedKey;
    } while (startKey !== undefined);
    return logs;
  }

  /** Group entries of events for which the subscription has a record of its own: the record wins. */
  private async withoutShadowedGroupEntries(tenantId: string, subscriptionId: string, rows: ListedRow[]): Promise<ListedRow[]> {
    const own = new Set(rows.filter((row) => !row.fromGroup).map((row) => row.record.eventId));
    const unsure = [...new Set(rows.filter((row) => row.fromGroup && !own.has(row.record.eventId)).map((row) => row.record.eventId))];
    if (unsure.length > 0) {
      const found = await batchGetItems(this.client, this.tableName, unsure.map((eventId) => keyOf(tenantId, subscriptionId, eventId)), { keysOnly: true });
      for (const item of found) own.add(item[SK]!.S!);
    }
    return rows.filter((row) => !row.fromGroup || !own.has(row.record.eventId));
  }

  private async queryRange(
    partition: string,
    range: { from: string; to: string; exclusiveStart: string | undefined },
    limit: number,
    filter: { expression: string; names: Record<string, string>; values: Record<string, unknown> } | undefined,
  ): Promise<{ items: Item[]; lastKey?: string }> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ...(filter === undefined ? {} : { FilterExpression: filter.expression }),
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK, ...filter?.names },
        ExpressionAttributeValues: toItem({ ':pk': partition, ':from': range.from, ':to': range.to, ...filter?.values }),
        ScanIndexForward: false,
        Limit: limit,
        ...(range.exclusiveStart === undefined
          ? {}
          : { ExclusiveStartKey: toItem({ [PK]: partition, [SK]: range.exclusiveStart }) }),
      }),
    );
    const lastKey = result.LastEvaluatedKey?.[SK]?.S;
    return { items: result.Items ?? [], ...(lastKey === undefined ? {} : { lastKey }) };
  }
}
