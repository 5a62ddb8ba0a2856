import { DeleteItemCommand, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Consumer } from '../core/model';
import type { ConsumerFields, ConsumerReader, ConsumerStore, Page, PageRequest, SubscriptionStore } from '../core/ports';
import { TABLE_KEYS } from '../core/resource-env';
import { fromItem, queryPartitionPage, toItem, writtenIf, type Item } from './dynamo-support';
import { consumerKey, consumersPartition } from './subscription-table-keys';

const { partitionKey: PK, sortKey: SK } = TABLE_KEYS;

/** Subscriptions deleted at a time while a consumer is deleted. */
const DELETE_BATCH = 10;

type ConsumerItem = Omit<Consumer, 'tenantId' | 'id'> & { [PK]: string; [SK]: string };

const toConsumer = (tenantId: string, item: Item): Consumer => {
  const { [PK]: _pk, [SK]: id, ...rest } = fromItem<ConsumerItem>(item);
  return { tenantId, id, ...rest };
};

/** A consumer as its item in the tenant's consumers partition: what `put` writes and `get` reads back. */
export const consumerItem = ({ tenantId, id, ...fields }: Consumer): Item => ({ ...consumerKey(tenantId, id), ...toItem(fields) });

/**
 * Reads a tenant's consumers, in one partition of the subscriptions table (one item each): what
 * fan-out needs to walk them for a broadcast, apart from the writes.
 */
export class DynamoConsumerReader implements ConsumerReader {
  constructor(
    protected readonly client: DynamoDBClient,
    protected readonly tableName: string,
  ) {}

  async get(tenantId: string, id: string): Promise<Consumer | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: consumerKey(tenantId, id), ConsistentRead: true }));
    return Item === undefined ? undefined : toConsumer(tenantId, Item);
  }

  list(tenantId: string, page: PageRequest): Promise<Page<Consumer>> {
    return queryPartitionPage(this.client, this.tableName, consumersPartition(tenantId), page, (item) => toConsumer(tenantId, item));
  }
}

/** A tenant's consumers, read and written; deleting one deletes its subscriptions. */
export class DynamoConsumerStore extends DynamoConsumerReader implements ConsumerStore {
  constructor(
    client: DynamoDBClient,
    tableName: string,
    private readonly subscriptions: Pick<SubscriptionStore, 'list' | 'delete'>,
  ) {
    super(client, tableName);
  }

  async put(tenantId: string, id: string, fields: ConsumerFields, now: string): Promise<{ consumer: Consumer; created: boolean }> {
    const names: Record<string, string> = { '#created': 'createdAt', '#updated': 'updatedAt' };
    const sets = ['#created = if_not_exists(#created, :now)', '#updated = :now'];
    const removes: string[] = [];
    for (const field of ['name', 'metadata'] as const) {
      names[`#${field}`] = field;
      if (fields[field] === undefined) removes.push(`#${field}`);
      else sets.push(`#${field} = :${field}`);
    }
    const { Attributes } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: consumerKey(tenantId, id),
        UpdateExpression: `SET ${sets.join(', ')}` + (removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: toItem({ ':now': now, ...(fields.name === undefined ? {} : { ':name': fields.name }), ...(fields.metadata === undefined ? {} : { ':metadata': fields.metadata }) }),
        ReturnValues: 'ALL_OLD',
      }),
    );
    const createdAt = Attributes?.createdAt?.S ?? now;
    return { consumer: { tenantId, id, ...fields, createdAt, updatedAt: now }, created: Attributes === undefined };
  }

  async delete(tenantId: string, id: string): Promise<{ subscriptionsDeleted: number } | undefined> {
    const existed = await writtenIf(
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: consumerKey(tenantId, id),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      ),
    );
    const owner = { tenantId, consumerId: id };
    let subscriptionsDeleted = 0;
    for (;;) {
      // Each page is read from the start: the one before it is gone.
      const { items } = await this.subscriptions.list(owner, { limit: DELETE_BATCH });
      if (items.length === 0) break;
      const deleted = await Promise.all(items.map((subscription) => this.subscriptions.delete(owner, subscription.id)));
      subscriptionsDeleted += deleted.filter(Boolean).length;
    }
    return existed || subscriptionsDeleted > 0 ? { subscriptionsDeleted } : undefined;
  }
}
