import { DeleteItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { subscriptionCountKey } from '../../lambdas/aws/subscription-table-keys';
import { DynamoSubscriptionStore } from '../../lambdas/aws/dynamo-subscription-store';
import { ENV } from '../../lambdas/core/resource-env';
import { newId } from '../../lambdas/core/ids';
import { aSubscription } from '../kit/builders';
import { localClients } from '../support/emulators';
import { startPipeline, type Pipeline } from '../support/pipeline';

const LIMIT = 3;

/**
 * The per-tenant subscription quota and the per-subscription limits, set through the functions'
 * environment as the construct sets them, against DynamoDB Local: every condition is the table's.
 */
describe('Subscription quotas', () => {
  let pipeline: Pipeline;
  let store: DynamoSubscriptionStore;
  let table: string;

  beforeAll(async () => {
    pipeline = await startPipeline({
      [ENV.maxSubscriptionsPerTenant]: String(LIMIT),
      [ENV.maxEventTypesPerSubscription]: '2',
      [ENV.maxHeadersPerSubscription]: '2',
      [ENV.maxHeaderBytesPerSubscription]: '64',
    });
    table = pipeline.env[ENV.subscriptionsTable]!;
    store = new DynamoSubscriptionStore(localClients().dynamo, table);
  });

  const storedCount = async (tenantId: string): Promise<number | undefined> => {
    const { Item } = await localClients().dynamo.send(new GetItemCommand({ TableName: table, Key: subscriptionCountKey({ tenantId }), ConsistentRead: true }));
    return Item?.count?.N === undefined ? undefined : Number(Item.count.N);
  };
  const listed = async (tenantId: string): Promise<number> => (await store.list({ tenantId }, { limit: 100 })).items.length;
  const create = (key: string, i: number) =>
    pipeline.call('POST', '/v1/subscriptions', { key, body: { url: `https://hooks.example.com/${i}`, eventTypes: ['order.*'] } });

  describe('API: POST /v1/subscriptions beyond the tenant quota', () => {
    it('answers 409 subscription_quota_exceeded naming the limit and its value, and a delete frees a place', async () => {
      // Prepare
      const key = await pipeline.createKey('quota-sequential');
      const created = [];
      for (let i = 0; i < LIMIT; i++) created.push(await create(key, i));

      // Act
      const refused = await create(key, LIMIT);
      await pipeline.call('DELETE', `/v1/subscriptions/${created[0]!.body.id}`, { key });
      const afterDelete = await create(key, LIMIT + 1);
      const refusedAgain = await create(key, LIMIT + 2);

      // Assess
      expect(created.map((response) => response.status)).toEqual([201, 201, 201]);
      expect(refused.status).toBe(409);
      expect(refused.body).toEqual({
        error: {
          code: 'subscription_quota_exceeded',
          message: `this tenant already has the most subscriptions it may have, ${LIMIT} (limit maxSubscriptionsPerTenant); delete one to create another`,
        },
      });
      expect(afterDelete.status).toBe(201);
      expect(refusedAgain.status).toBe(409);
      expect(await listed('quota-sequential')).toBe(LIMIT);
    });

    it('lets only one of many creates racing for the last place through', async () => {
      // Prepare
      const key = await pipeline.createKey('quota-race');
      for (let i = 0; i < LIMIT - 1; i++) expect((await create(key, i)).status).toBe(201);

      // Act: ten creates at once for the one place left.
      const raced = await Promise.all(Array.from({ length: 10 }, (_, i) => create(key, 100 + i)));

      // Assess
      const statuses = raced.map((response) => response.status).sort();
      expect(statuses).toEqual([201, ...Array(9).fill(409)]);
      expect(await listed('quota-race')).toBe(LIMIT);
      expect(await storedCount('quota-race')).toBe(LIMIT);
    });

    it('counts each tenant apart', async () => {
      // Prepare
      const full = await pipeline.createKey('quota-full');
      for (let i = 0; i < LIMIT; i++) await create(full, i);
      const other = await pipeline.createKey('quota-other');

      // Act
      const response = await create(other, 0);

      // Assess
      expect(response.status).toBe(201);
    });
  });

  describe('API: limits of one subscription', () => {
    it.each([
      ['create', 'eventTypes', { eventTypes: ['a', 'b', 'c'] }, 'eventTypes has 3 filters; a subscription may have at most 2 (limit maxEventTypesPerSubscription)'],
      ['create', 'headers', { headers: { 'x-a': '1', 'x-b': '2', 'x-c': '3' } }, 'headers has 3 headers; a subscription may have at most 2 (limit maxHeadersPerSubscription)'],
      ['update', 'header bytes', { headers: { 'x-token': 'v'.repeat(60) } }, 'headers take 67 bytes (names and values); a subscription may have at most 64 (limit maxHeaderBytesPerSubscription)'],
    ])('answers a %s with too many %s 422 limit_exceeded with the configured value', async (operation, _what, fields, message) => {
      // Prepare
      const key = await pipeline.createKey(`limits-${operation}`);
      const existing = operation === 'update' ? await pipeline.subscribe(key, 'https://hooks.example.com/limits') : undefined;

      // Act
      const response =
        existing === undefined
          ? await pipeline.call('POST', '/v1/subscriptions', { key, body: { url: 'https://hooks.example.com/limits', eventTypes: ['*'], ...fields } })
          : await pipeline.call('PATCH', `/v1/subscriptions/${existing.id}`, { key, body: fields });

      // Assess
      expect(response.status).toBe(422);
      expect(response.body).toEqual({ error: { code: 'limit_exceeded', message } });
    });
  });

  describe('Class: DynamoSubscriptionStore, tenant count', () => {
    const aTenantsSubscription = (tenantId: string) => aSubscription({ tenantId, id: newId('sub') });

    it('never takes a tenant past its limit, however many creates race', async () => {
      // Prepare
      const tenantId = newId('key');

      // Act: twenty creates at once for a limit of five.
      const results = await Promise.all(Array.from({ length: 20 }, () => store.create(aTenantsSubscription(tenantId), 5)));

      // Assess
      expect(results.filter((result) => result === true)).toHaveLength(5);
      expect(await listed(tenantId)).toBe(5);
      expect(await storedCount(tenantId)).toBe(5);
    });

    it('keeps the count equal to the subscriptions through deletes, a delete racing itself counting once', async () => {
      // Prepare
      const tenantId = newId('key');
      const subscriptions = Array.from({ length: 4 }, () => aTenantsSubscription(tenantId));
      for (const subscription of subscriptions) await store.create(subscription, 10);

      // Act: the same delete three times at once, then a delete of nothing.
      const deletes = await Promise.all(Array.from({ length: 3 }, () => store.delete({ tenantId }, subscriptions[0]!.id)));
      const deletedNothing = await store.delete({ tenantId }, newId('sub'));

      // Assess
      expect(deletes.filter(Boolean)).toHaveLength(1);
      expect(deletedNothing).toBe(false);
      expect(await listed(tenantId)).toBe(3);
      expect(await storedCount(tenantId)).toBe(3);
    });

    it('counts a tenant whose subscriptions predate the count at its next create', async () => {
      // Prepare: three subscriptions, then their count removed, as before counts were kept.
      const tenantId = newId('key');
      for (let i = 0; i < 3; i++) await store.create(aTenantsSubscription(tenantId));
      await localClients().dynamo.send(new DeleteItemCommand({ TableName: table, Key: subscriptionCountKey({ tenantId }) }));

      // Act
      const fourth = await store.create(aTenantsSubscription(tenantId), 4);
      const fifth = await store.create(aTenantsSubscription(tenantId), 4);

      // Assess
      expect([fourth, fifth]).toEqual([true, 'quota_exceeded']);
      expect(await storedCount(tenantId)).toBe(4);
    });

    it('deletes the subscription of a tenant not counted yet without starting a count', async () => {
      // Prepare
      const tenantId = newId('key');
      const subscription = aTenantsSubscription(tenantId);
      await store.create(subscription);
      await localClients().dynamo.send(new DeleteItemCommand({ TableName: table, Key: subscriptionCountKey({ tenantId }) }));

      // Act
      const deleted = await store.delete({ tenantId }, subscription.id);

      // Assess
      expect(deleted).toBe(true);
      expect(await storedCount(tenantId)).toBeUndefined();
    });

    it("keeps the count out of the tenant's subscriptions", async () => {
      // Prepare
      const tenantId = newId('key');
      await store.create(aTenantsSubscription(tenantId), 5);

      // Act
      const page = await store.list({ tenantId }, { limit: 10 });

      // Assess
      expect(page.items).toHaveLength(1);
      expect(page.items[0]!.id).toMatch(/^sub_/);
    });
  });
});
