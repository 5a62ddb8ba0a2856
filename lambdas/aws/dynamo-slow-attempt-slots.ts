import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '../core/resource-env';
import type { SlotLease, SlotPool, SlowAttemptSlots } from '../core/ports';
import { deliveryPartitionOf } from './dynamo-delivery-store';
import { toItem, writtenIf, type Item } from './dynamo-support';

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE_KEYS;
/** The slots item outlives its last lease by an hour; TTL removes it. */
const ITEM_TTL_SECONDS = 3600;
/** The partition of the share of all endpoints: every endpoint's partition has a `#`, this one none. */
const ALL_ENDPOINTS_PARTITION = 'slow-attempts-of-all-endpoints';

const partitionOf = (pool: SlotPool): string =>
  pool === 'all endpoints' ? ALL_ENDPOINTS_PARTITION : deliveryPartitionOf(pool.tenantId, pool.subscriptionId);

/**
 * Slots as attributes of one item per pool: an endpoint's beside the subscription's delivery
 * records (same partition, sort key `slots`, outside the range of event ids that delivery queries
 * read), the share of all endpoints in a partition of its own. Slot i
 * is `s<i>` (when its lease ends, ms) and `o<i>` (its holder). A slot is free when absent or past
 * its end, so a holder that died frees its slot when its attempt could no longer be running.
 *
 * Taking a slot is one conditional `UpdateItem` on a random slot; when that one is held, one
 * strongly consistent read finds a free one and a second `UpdateItem` takes it. Releasing is one
 * `UpdateItem`. Only attempts still unanswered at the slow-attempt threshold come here.
 */
export class DynamoSlowAttemptSlots implements SlowAttemptSlots {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly random: () => number = Math.random,
  ) {}

  async acquire(pool: SlotPool, limit: number, untilMs: number, nowMs: number): Promise<SlotLease | undefined> {
    const key = toItem({ [PK]: partitionOf(pool), [SK]: 'slots' }) as Item;
    const holder = `${nowMs.toString(36)}.${Math.floor(this.random() * 2 ** 48).toString(36)}`;
    const first = Math.floor(this.random() * limit);
    if (await this.take(key, first, holder, untilMs, nowMs)) return this.lease(key, first, holder);
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    for (let slot = 0; slot < limit; slot += 1) {
      const end = Item?.[`s${slot}`]?.N;
      if (end !== undefined && Number(end) >= nowMs) continue;
      return (await this.take(key, slot, holder, untilMs, nowMs)) ? this.lease(key, slot, holder) : undefined;
    }
    return undefined;
  }

  private take(key: Item, slot: number, holder: string, untilMs: number, nowMs: number): Promise<boolean> {
    return writtenIf(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #end = :until, #holder = :holder, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#end) OR #end < :now',
          ExpressionAttributeNames: { '#end': `s${slot}`, '#holder': `o${slot}`, '#ttl': TTL },
          ExpressionAttributeValues: toItem({ ':until': untilMs, ':holder': holder, ':now': nowMs, ':ttl': Math.ceil(untilMs / 1000) + ITEM_TTL_SECONDS }),
        }),
      ),
    );
  }

  private lease(key: Item, slot: number, holder: string): SlotLease {
    return {
      // A slot taken over after its lease ended is someone else's now: the condition leaves it.
      release: async () =>
        void (await writtenIf(
          this.client.send(
            new UpdateItemCommand({
              TableName: this.tableName,
              Key: key,
              UpdateExpression: 'REMOVE #end, #holder',
              ConditionExpression: '#holder = :holder',
              ExpressionAttributeNames: { '#end': `s${slot}`, '#holder': `o${slot}` },
              ExpressionAttributeValues: toItem({ ':holder': holder }),
            }),
          ),
        )),
    };
  }
}
