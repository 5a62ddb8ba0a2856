import { DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { ApiKeyChecksumSettings, ApiKeyRecord } from '../core/api-keys';
import { CHECKSUM_SETTINGS_PK, TABLE_KEYS } from '../core/resource-env';
import type { ApiKeyAdminStore } from '../core/ports';
import { fromItem, isConditionFailure, toItem, writtenIf, type Item } from './dynamo-support';

const { partitionKey: PK } = TABLE_KEYS;

const withoutKey = <T>(item: Item): T => {
  const { [PK]: _pk, ...rest } = fromItem<T & { [PK]: string }>(item);
  return rest as T;
};

const isKeyItem = (item: Item): boolean => item[PK]?.S !== CHECKSUM_SETTINGS_PK;

export class DynamoApiKeyStore implements ApiKeyAdminStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(keyId: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: toItem({ [PK]: keyId }), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : withoutKey<ApiKeyRecord>(Item);
  }

  async getChecksumSettings(): Promise<ApiKeyChecksumSettings | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: toItem({ [PK]: CHECKSUM_SETTINGS_PK }), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : withoutKey<ApiKeyChecksumSettings>(Item);
  }

  async createChecksumSettings(settings: ApiKeyChecksumSettings): Promise<boolean> {
    return writtenIf(
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({ [PK]: CHECKSUM_SETTINGS_PK, ...settings }),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      ),
    );
  }

  async refuseUnkeyedKeys(): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: toItem({ [PK]: CHECKSUM_SETTINGS_PK }),
        UpdateExpression: 'SET #unkeyed = :refused',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK, '#unkeyed': 'unkeyedKeys' },
        ExpressionAttributeValues: toItem({ ':refused': 'refused' }),
      }),
    );
  }

  async put(record: ApiKeyRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: toItem({ [PK]: record.keyId, ...record }),
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK },
      }),
    );
  }

  /** A scan: the table holds one small item per key (and the checksum settings), and only operators list them. */
  async list(tenantId?: string): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    let startKey: Item | undefined;
    do {
      const result = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          ...(tenantId === undefined
            ? {}
            : {
                FilterExpression: '#tenant = :tenant',
                ExpressionAttributeNames: { '#tenant': 'tenantId' },
                ExpressionAttributeValues: toItem({ ':tenant': tenantId }),
              }),
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      records.push(...(result.Items ?? []).filter(isKeyItem).map((item) => withoutKey<ApiKeyRecord>(item)));
      startKey = result.LastEvaluatedKey;
    } while (startKey !== undefined);
    return records.sort((a, b) => a.keyId.localeCompare(b.keyId));
  }

  async revoke(keyId: string, revokedAt: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem({ [PK]: keyId }),
          UpdateExpression: 'SET #revokedAt = if_not_exists(#revokedAt, :at)',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK, '#revokedAt': 'revokedAt' },
          ExpressionAttributeValues: toItem({ ':at': revokedAt }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
