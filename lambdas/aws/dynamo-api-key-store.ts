import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { ApiKeyRecord } from '../core/api-keys';
import { TABLE_KEYS } from '../core/env-names';
import type { ApiKeyStore } from '../core/ports';
import { fromItem, toItem } from './dynamo-support';

const { partitionKey: PK } = TABLE_KEYS;

export class DynamoApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(keyId: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: toItem({ [PK]: keyId }), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const { [PK]: _pk, ...record } = fromItem<ApiKeyRecord & { [PK]: string }>(Item);
    return record;
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
}
