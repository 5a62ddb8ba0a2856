import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '../core/resource-env';
import type { EventPattern } from '../core/event-pattern';
import { TransactionsUnavailableError } from '../core/errors';
import type { Subscription, SubscriptionOwner } from '../core/model';
import {
  CLOSED_CIRCUIT,
  type CreateRefusal,
  type Page,
  type PageRequest,
  type SubscriptionChanges,
  type SubscriptionExpectation,
  type SubscriptionReader,
  type SubscriptionStore,
} from '../core/ports';
import { DynamoSubscriptionCount } from './dynamo-subscription-count';
import { batchGetItems, fromItem, isConditionFailure, queryPartitionPage, toItem, type Item } from './dynamo-support';
import { consumerKey, locatorKey, ownerPartition, subscriptionKey } from './subscription-table-keys';

const { partitionKey: PK, sortKey: SK } = TABLE_KEYS;

type SubscriptionItem = Omit<Subscription, 'filter'> & { [PK]: string; [SK]: string; filter?: string };

/**
 * Sends the writes in one transaction, or a lone Put or Delete as a plain write (half the capacity
 * a transaction costs). Returns which writes had their condition fail, in order; none when written.
 */
const writeTogether = async (client: DynamoDBClient, writes: TransactWriteItem[]): Promise<boolean[]> => {
  const [only] = writes;
  try {
    if (writes.length > 1) await client.send(new TransactWriteItemsCommand({ TransactItems: writes }));
    else if (only?.Put !== undefined) await client.send(new PutItemCommand(only.Put));
    else if (only?.Delete !== undefined) await client.send(new DeleteItemCommand(only.Delete));
    else throw new Error('writeTogether takes a lone Put or Delete, or several writes');
    return [];
  } catch (error) {
    if (isConditionFailure(error)) return [true];
    if (error instanceof Error && error.name === 'UnknownOperationException' && writes.length > 1) {
      throw new TransactionsUnavailableError(
        "a consumer's subscriptions are written in DynamoDB transactions, which this DynamoDB does not have: " +
          'the local runtime runs DynamoDB Local, which has them, when Java 17 or later is installed',
        { cause: error },
      );
    }
    if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') throw error;
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
    const failed = reasons.map((reason) => reason.Code === 'ConditionalCheckFailed');
    if (!failed.includes(true)) throw error;
    return failed;
  }
};

/** One update of an endpoint's health or circuit, by clause. */
interface HealthUpdate {
  set?: string[];
  remove?: string[];
  add?: string[];
  condition: string;
  names: Record<string, string>;
  values?: Record<string, unknown>;
}

/**
 * A payload filter is stored as its JSON text, not as a map: any double is a valid pattern value,
 * and numbers beyond 2^53 or DynamoDB's range (1e300, 5e-324) cannot be written as DynamoDB numbers.
 */
const filterAttribute = (filter: EventPattern | null | undefined): string | null | undefined =>
  filter === null || filter === undefined ? filter : JSON.stringify(filter);

/** A subscription as its item in the table, under its owner's partition. */
export const subscriptionItem = (subscription: Subscription): Item => ({
  ...subscriptionKey(subscription, subscription.id),
  ...toItem({ ...subscription, filter: filterAttribute(subscription.filter) }),
});

/** The locator of a consumer's subscription: which consumer it belongs to, keyed by its tenant and id. */
export const locatorItem = (tenantId: string, subscriptionId: string, consumerId: string): Item => ({
  ...locatorKey(tenantId, subscriptionId),
  ...toItem({ consumerId }),
});

const toSubscription = (item: Parameters<typeof fromItem>[0]): Subscription => {
  const { [PK]: _pk, [SK]: _sk, filter, ...subscription } = fromItem<SubscriptionItem>(item);
  return filter === undefined ? subscription : { ...subscription, filter: JSON.parse(filter) as EventPattern };
};

/**
 * Reads subscriptions, keyed by owner, so fan-out pages through one owner's set (a tenant's own, or
 * one consumer's) with one query per page. Apart from the writes so that the functions that only
 * read (ingest, fan-out) load no more.
 */
export class DynamoSubscriptionReader implements SubscriptionReader {
  constructor(
    protected readonly client: DynamoDBClient,
    protected readonly tableName: string,
  ) {}

  async get(owner: SubscriptionOwner, id: string): Promise<Subscription | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: subscriptionKey(owner, id), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : toSubscription(Item);
  }

  async getMany(owner: SubscriptionOwner, ids: readonly string[]): Promise<Subscription[]> {
    const items = await batchGetItems(this.client, this.tableName, ids.map((id) => subscriptionKey(owner, id)));
    return items.map(toSubscription);
  }

  list(owner: SubscriptionOwner, page: PageRequest): Promise<Page<Subscription>> {
    return queryPartitionPage(this.client, this.tableName, ownerPartition(owner), page, toSubscription);
  }

}

/**
 * Reads and writes subscriptions, and keeps each owner's count of them. A consumer's subscription
 * is written with a locator (which consumer it belongs to, keyed by the tenant and the id), in one
 * transaction, so that the API finds it from its id alone; the tenant's own need none.
 */
export class DynamoSubscriptionStore extends DynamoSubscriptionReader implements SubscriptionStore {
  private readonly count = new DynamoSubscriptionCount(this.client, this.tableName);

  async create(subscription: Subscription, maxPerOwner?: number): Promise<true | CreateRefusal> {
    if (!(await this.count.take(subscription, maxPerOwner))) return 'quota_exceeded';
    const { tenantId, id, consumerId } = subscription;
    const put: TransactWriteItem = {
      Put: {
        TableName: this.tableName,
        Item: subscriptionItem(subscription),
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK },
      },
    };
    const consumerWrites: TransactWriteItem[] =
      consumerId === undefined
        ? []
        : [
            { Put: { TableName: this.tableName, Item: locatorItem(tenantId, id, consumerId) } },
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: consumerKey(tenantId, consumerId),
                ConditionExpression: 'attribute_exists(#pk)',
                ExpressionAttributeNames: { '#pk': PK },
              },
            },
          ];
    let failed: boolean[];
    try {
      failed = await writeTogether(this.client, [put, ...consumerWrites]);
    } catch (error) {
      // The place goes back; should that fail too, the count stays one high (never too low).
      await this.count.giveBack(subscription).catch(() => undefined);
      throw error;
    }
    if (failed.length === 0) return true;
    await this.count.giveBack(subscription).catch(() => undefined);
    if (failed[2] === true) return 'consumer_not_found';
    throw new Error(`subscription ${id} exists already`);
  }

  /** Reads the tenant's own subscription and the locator together: one round trip either way. */
  async locate(tenantId: string, id: string): Promise<Subscription | undefined> {
    const [own, locator] = await Promise.all([
      this.get({ tenantId }, id),
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: locatorKey(tenantId, id), ConsistentRead: true })),
    ]);
    const consumerId = locator.Item?.consumerId?.S;
    return own ?? (consumerId === undefined ? undefined : this.get({ tenantId, consumerId }, id));
  }

  async update(owner: SubscriptionOwner, id: string, changes: SubscriptionChanges, expected: SubscriptionExpectation = {}): Promise<Subscription | undefined> {
    const names: Record<string, string> = { '#pk': PK, '#version': 'version' };
    const values: Record<string, unknown> = { ':one': 1 };
    const conditions = ['attribute_exists(#pk)'];
    Object.entries(expected).forEach(([field, value], index) => {
      names[`#e${index}`] = field;
      values[`:e${index}`] = value;
      conditions.push(`#e${index} = :e${index}`);
    });
    const sets: string[] = [];
    const removes: string[] = [];
    Object.entries({ ...changes, filter: filterAttribute(changes.filter) }).forEach(([field, value], index) => {
      if (value === undefined) return;
      names[`#f${index}`] = field;
      if (value === null) {
        removes.push(`#f${index}`);
      } else {
        values[`:v${index}`] = value;
        sets.push(`#f${index} = :v${index}`);
      }
    });
    const expression =
      `SET ${[...sets, '#version = #version + :one'].join(', ')}` + (removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : '');
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: subscriptionKey(owner, id),
          UpdateExpression: expression,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: toItem(values),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes === undefined ? undefined : toSubscription(Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async delete(owner: SubscriptionOwner, id: string): Promise<boolean> {
    const remove: TransactWriteItem = {
      Delete: {
        TableName: this.tableName,
        Key: subscriptionKey(owner, id),
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK },
      },
    };
    const locator: TransactWriteItem[] =
      owner.consumerId === undefined ? [] : [{ Delete: { TableName: this.tableName, Key: locatorKey(owner.tenantId, id) } }];
    if ((await writeTogether(this.client, [remove, ...locator])).length > 0) return false;
    await this.count.giveBack(owner);
    return true;
  }

  setFailingSince(owner: SubscriptionOwner, id: string, since: string | null): Promise<Subscription | undefined> {
    return this.updateHealth(
      since === null
        ? { remove: ['#failing'], condition: 'attribute_exists(#failing)', names: { '#failing': 'failingSince' } }
        : {
            set: ['#failing = :since'],
            condition: 'attribute_exists(#pk) AND attribute_not_exists(#failing)',
            names: { '#failing': 'failingSince', '#pk': PK },
            values: { ':since': since },
          },
      owner,
      id,
    );
  }

  async countUnanswered(
    owner: SubscriptionOwner,
    id: string,
    failure: { at: string; error: string },
    answerSeenAt: string | undefined,
  ): Promise<Subscription | undefined> {
    const names = { '#pk': PK, '#failures': 'circuitFailures', '#since': 'circuitCountingSince', '#error': 'circuitLastError', '#at': 'circuitLastFailureAt' };
    const values = { ':one': 1, ':at': failure.at, ':error': failure.error };
    const added = await this.updateHealth({
      add: ['#failures :one'],
      set: ['#since = if_not_exists(#since, :at)', '#error = :error', '#at = :at'],
      condition: answerSeenAt === undefined ? 'attribute_exists(#pk)' : 'attribute_exists(#pk) AND (attribute_not_exists(#since) OR #since > :answered)',
      names,
      values: { ...values, ...(answerSeenAt === undefined ? {} : { ':answered': answerSeenAt }) },
    }, owner, id);
    if (added !== undefined || answerSeenAt === undefined) return added;
    // An answer came after the count began: this failure starts a new count.
    return this.updateHealth({
      set: ['#failures = :one', '#since = :at', '#error = :error', '#at = :at'],
      condition: 'attribute_exists(#pk)',
      names,
      values,
    }, owner, id);
  }

  openCircuit(owner: SubscriptionOwner, id: string, open: { at: string; nextProbeAt: string; probeSeconds: number }): Promise<Subscription | undefined> {
    return this.updateHealth({
      set: ['#opened = :at', '#next = :next', '#probe = :probe'],
      condition: 'attribute_exists(#pk) AND attribute_not_exists(#opened)',
      names: { '#pk': PK, '#opened': 'circuitOpenedAt', '#next': 'circuitNextProbeAt', '#probe': 'circuitProbeSeconds' },
      values: { ':at': open.at, ':next': open.nextProbeAt, ':probe': open.probeSeconds },
    }, owner, id);
  }

  claimProbe(
    owner: SubscriptionOwner,
    id: string,
    claim: { seenNextProbeAt: string; nextProbeAt: string; probeSeconds: number },
  ): Promise<Subscription | undefined> {
    return this.updateHealth({
      set: ['#next = :next', '#probe = :probe'],
      condition: '#next = :seen',
      names: { '#next': 'circuitNextProbeAt', '#probe': 'circuitProbeSeconds' },
      values: { ':seen': claim.seenNextProbeAt, ':next': claim.nextProbeAt, ':probe': claim.probeSeconds },
    }, owner, id);
  }

  closeCircuit(owner: SubscriptionOwner, id: string): Promise<Subscription | undefined> {
    const fields = Object.keys(CLOSED_CIRCUIT);
    return this.updateHealth({
      remove: fields.map((_, index) => `#c${index}`),
      condition: 'attribute_exists(#pk)',
      names: { '#pk': PK, ...Object.fromEntries(fields.map((field, index) => [`#c${index}`, field])) },
    }, owner, id);
  }

  /**
   * A conditional write of the endpoint's health or circuit, returning the new subscription (or
   * undefined when the condition failed). Each also bumps `healthRevision`, so that of two copies
   * of the subscription a cache can keep the one written last, whichever answer arrived first.
   */
  private async updateHealth(update: HealthUpdate, owner: SubscriptionOwner, id: string): Promise<Subscription | undefined> {
    const clauses = [
      update.set === undefined ? '' : `SET ${update.set.join(', ')}`,
      update.remove === undefined ? '' : `REMOVE ${update.remove.join(', ')}`,
      `ADD ${[...(update.add ?? []), '#healthRevision :revisionStep'].join(', ')}`,
    ];
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: subscriptionKey(owner, id),
          ReturnValues: 'ALL_NEW',
          UpdateExpression: clauses.filter((clause) => clause !== '').join(' '),
          ConditionExpression: update.condition,
          ExpressionAttributeNames: { ...update.names, '#healthRevision': 'healthRevision' },
          ExpressionAttributeValues: toItem({ ...update.values, ':revisionStep': 1 }),
        }),
      );
      return Attributes === undefined ? undefined : toSubscription(Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}
