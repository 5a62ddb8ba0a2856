import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { TABLE_KEYS } from '../core/resource-env';
import type { IdempotencyRecord, StoredEvent } from '../core/model';
import type { ClaimResult, EventStore } from '../core/ports';
import { fromItem, isConditionFailure, toItem } from './dynamo-support';

const { partitionKey: PK } = TABLE_KEYS;

const eventKey = (tenantId: string, eventId: string) => `${tenantId}#${eventId}`;
/** Keys are hashed: they are client-chosen strings of any length and content. */
const idempotencyKey = (tenantId: string, key: string) =>
  `${tenantId}#idem#${createHash('sha256').update(key).digest('base64url')}`;

interface EventItem extends Omit<StoredEvent, 'dataJson'> {
  /**
   * The data's JSON text as published (DynamoDB maps limit nesting to 32 levels and numbers to 38
   * digits; JSON has neither limit). Items written before data was kept as text hold the
   * JSON.stringify of the parsed value here: JSON text too, read the same way.
   */
  dataJson?: string;
  /** The same JSON text, deflated, where that makes the item smaller. */
  dataDeflated?: Uint8Array;
}

/**
 * Payloads from this size are stored deflated when that saves at least a tenth: a write costs one
 * unit per started KB of item, so a typical 1 KB JSON payload (which compresses to about half)
 * keeps its event item to one unit instead of two. Smaller ones are not worth the CPU.
 */
const DEFLATE_FROM_BYTES = 512;

const encodeEventData = (json: string): Pick<EventItem, 'dataJson' | 'dataDeflated'> => {
  const bytes = Buffer.byteLength(json);
  if (bytes < DEFLATE_FROM_BYTES) return { dataJson: json };
  const deflated = deflateRawSync(json);
  return deflated.length <= bytes * 0.9 ? { dataDeflated: deflated } : { dataJson: json };
};

const decodeEventData = ({ dataJson, dataDeflated }: Pick<EventItem, 'dataJson' | 'dataDeflated'>): string =>
  dataDeflated === undefined ? (dataJson ?? 'null') : inflateRawSync(dataDeflated).toString('utf8');

/** Events and idempotency claims share one table, told apart by their partition keys. */
export class DynamoEventStore implements EventStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async putEvent(event: StoredEvent): Promise<void> {
    const { dataJson, ...rest } = event;
    const item: EventItem & { [PK]: string } = { [PK]: eventKey(event.tenantId, event.id), ...rest, ...encodeEventData(dataJson) };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem(item),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async getEvent(tenantId: string, eventId: string): Promise<StoredEvent | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: toItem({ [PK]: eventKey(tenantId, eventId) }), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const { dataJson, dataDeflated, ...rest } = fromItem<EventItem & { [PK]: string }>(Item);
    // TTL deletion lags by up to days (and never happens in emulators): expiry is checked here.
    if (rest.expiresAt <= Math.floor(this.now() / 1000)) return undefined;
    const { [PK]: _key, ...event } = rest;
    return { ...event, dataJson: decodeEventData({ dataJson, dataDeflated }) };
  }

  async claimIdempotencyKey(record: IdempotencyRecord, nowSeconds: number): Promise<ClaimResult> {
    const key = idempotencyKey(record.tenantId, record.key);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({ [PK]: key, ...record }),
          ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt <= :now',
          ExpressionAttributeNames: { '#pk': PK, '#expiresAt': TABLE_KEYS.ttlAttribute },
          ExpressionAttributeValues: toItem({ ':now': nowSeconds }),
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const existing = await this.readClaim(record.tenantId, record.key);
    if (existing === undefined) return this.claimIdempotencyKey(record, nowSeconds);
    // The SDK re-sends a put whose answer was lost (a reset, a 500 after the write): the claim it
    // then finds names this record's event id, a fresh ULID per request, so it is this call's own
    // claim, not another request in flight.
    if (existing.eventId === record.eventId) return { claimed: true };
    return { claimed: false, existing };
  }

  async findIdempotencyKey(tenantId: string, key: string, nowSeconds: number): Promise<IdempotencyRecord | undefined> {
    const claim = await this.readClaim(tenantId, key);
    return claim !== undefined && claim.expiresAt > nowSeconds ? claim : undefined;
  }

  private async readClaim(tenantId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: toItem({ [PK]: idempotencyKey(tenantId, key) }), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const { [PK]: _key, ...claim } = fromItem<IdempotencyRecord & { [PK]: string }>(Item);
    return claim;
  }

  async markHandedOver(tenantId: string, key: string): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: toItem({ [PK]: idempotencyKey(tenantId, key) }),
        UpdateExpression: 'SET handedOver = :true',
        ExpressionAttributeValues: toItem({ ':true': true }),
      }),
    );
  }
}
