import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { consumerItem, DynamoConsumerStore } from '../../lambdas/aws/dynamo-consumer-store';
import { DynamoSubscriptionStore } from '../../lambdas/aws/dynamo-subscription-store';
import { AwsRequestCounter } from '../../lambdas/aws/request-counter';
import { consumerKey, locatorKey, subscriptionCountKey } from '../../lambdas/aws/subscription-table-keys';
import { newId } from '../../lambdas/core/ids';
import { ENV } from '../../lambdas/core/resource-env';
import { aSubscription } from '../kit/builders';
import { awsClientConfig } from '../../local/emulators';
import { createStackResources, localClients, localEndpoints } from '../support/emulators';

const NOW = '2026-03-01T12:00:00.000Z';
const LATER = '2026-03-01T12:30:00.000Z';

/** Consumers and their subscriptions in the subscriptions table, against DynamoDB Local: every key and condition is the table's. */
describe('Consumer stores', () => {
  let table: string;
  let subscriptions: DynamoSubscriptionStore;
  let consumers: DynamoConsumerStore;

  beforeAll(async () => {
    const resources = await createStackResources();
    table = resources.envForFunction('ApiFunction')[ENV.subscriptionsTable]!;
    subscriptions = new DynamoSubscriptionStore(localClients().dynamo, table);
    consumers = new DynamoConsumerStore(localClients().dynamo, table, subscriptions);
  });

  const rawItem = async (key: ReturnType<typeof locatorKey>) =>
    (await localClients().dynamo.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;

  describe('Class: DynamoConsumerStore', () => {
    it('creates a consumer, replaces its name and metadata keeping its creation time, lists and deletes it', async () => {
      // Prepare
      const tenantId = newId('key');

      // Act
      const created = await consumers.put(tenantId, 'acme.eu:1', { name: 'Acme', metadata: { plan: 'pro' } }, NOW);
      const updated = await consumers.put(tenantId, 'acme.eu:1', { name: 'Acme Corp' }, LATER);
      await consumers.put(tenantId, 'beta', {}, NOW);
      const read = await consumers.get(tenantId, 'acme.eu:1');
      const firstPage = await consumers.list(tenantId, { limit: 1 });
      const secondPage = await consumers.list(tenantId, { limit: 1, cursor: firstPage.cursor! });
      const deleted = await consumers.delete(tenantId, 'beta');
      const deletedAgain = await consumers.delete(tenantId, 'beta');

      // Assess
      expect(created).toEqual({ created: true, consumer: { tenantId, id: 'acme.eu:1', name: 'Acme', metadata: { plan: 'pro' }, createdAt: NOW, updatedAt: NOW } });
      expect(updated).toEqual({ created: false, consumer: { tenantId, id: 'acme.eu:1', name: 'Acme Corp', createdAt: NOW, updatedAt: LATER } });
      expect(read).toEqual(updated.consumer);
      expect([...firstPage.items, ...secondPage.items].map((c) => c.id)).toEqual(['acme.eu:1', 'beta']);
      expect(deleted).toEqual({ subscriptionsDeleted: 0 });
      expect(deletedAgain).toBeUndefined();
      expect(await consumers.get(newId('key'), 'acme.eu:1')).toBeUndefined();
    });

    it('stores a consumer as the item consumerItem builds, so items written in bulk read back alike', async () => {
      // Prepare
      const tenantId = newId('key');

      // Act
      const { consumer: named } = await consumers.put(tenantId, 'acme', { name: 'Acme', metadata: { plan: 'pro' } }, NOW);
      const { consumer: bare } = await consumers.put(tenantId, 'beta', {}, NOW);

      // Assess
      expect(await rawItem(consumerKey(tenantId, 'acme'))).toEqual(consumerItem(named));
      expect(await rawItem(consumerKey(tenantId, 'beta'))).toEqual(consumerItem(bare));
    });

    it("deletes a consumer's subscriptions with it, their locators and nothing of the tenant's own", async () => {
      // Prepare
      const tenantId = newId('key');
      await consumers.put(tenantId, 'acme', {}, NOW);
      const own = aSubscription({ tenantId, id: newId('sub') });
      const acmes = Array.from({ length: 12 }, () => aSubscription({ tenantId, consumerId: 'acme', id: newId('sub') }));
      for (const subscription of [own, ...acmes]) expect(await subscriptions.create(subscription)).toBe(true);

      // Act
      const result = await consumers.delete(tenantId, 'acme');

      // Assess
      expect(result).toEqual({ subscriptionsDeleted: 12 });
      expect((await subscriptions.list({ tenantId, consumerId: 'acme' }, { limit: 100 })).items).toEqual([]);
      expect(await rawItem(locatorKey(tenantId, acmes[0]!.id))).toBeUndefined();
      expect(await subscriptions.locate(tenantId, acmes[0]!.id)).toBeUndefined();
      expect(await subscriptions.locate(tenantId, own.id)).toEqual(own);
    });
  });

  describe('Class: DynamoSubscriptionStore, owners', () => {
    it("finds a consumer's subscription by id through its locator, and the tenant's own without one", async () => {
      // Prepare
      const tenantId = newId('key');
      await consumers.put(tenantId, 'acme', {}, NOW);
      const own = aSubscription({ tenantId, id: newId('sub') });
      const acmes = aSubscription({ tenantId, consumerId: 'acme', id: newId('sub') });
      await subscriptions.create(own);
      await subscriptions.create(acmes);

      // Act
      const located = await subscriptions.locate(tenantId, acmes.id);
      const locatedOwn = await subscriptions.locate(tenantId, own.id);
      const fromAnotherTenant = await subscriptions.locate(newId('key'), acmes.id);
      const underTheTenant = await subscriptions.get({ tenantId }, acmes.id);

      // Assess
      expect(located).toEqual(acmes);
      expect(locatedOwn).toEqual(own);
      expect(fromAnotherTenant).toBeUndefined();
      expect(underTheTenant).toBeUndefined();
      expect(await rawItem(locatorKey(tenantId, acmes.id))).toMatchObject({ consumerId: { S: 'acme' } });
      expect(await rawItem(locatorKey(tenantId, own.id))).toBeUndefined();
    });

    it("lists one owner's subscriptions with one query of its partition, whatever the others hold", async () => {
      // Prepare: the tenant's own, and two consumers' with many subscriptions.
      const tenantId = newId('key');
      for (const consumerId of ['acme', 'beta', 'gamma']) await consumers.put(tenantId, consumerId, {}, NOW);
      const own = aSubscription({ tenantId, id: newId('sub') });
      const acmes = aSubscription({ tenantId, consumerId: 'acme', id: newId('sub') });
      await subscriptions.create(own);
      await subscriptions.create(acmes);
      for (let i = 0; i < 10; i++) await subscriptions.create(aSubscription({ tenantId, consumerId: 'beta', id: newId('sub') }));

      const counter = new AwsRequestCounter();
      const counted = new DynamoSubscriptionStore(counter.attach(new DynamoDBClient(awsClientConfig(localEndpoints().dynamoEndpoint)), 'DynamoDB'), table);

      // Act
      const ownPage = await counted.list({ tenantId }, { limit: 100 });
      const acmePage = await counted.list({ tenantId, consumerId: 'acme' }, { limit: 100 });
      const gammaPage = await counted.list({ tenantId, consumerId: 'gamma' }, { limit: 100 });
      const requests = counter.snapshot();

      // Assess
      expect(ownPage.items).toEqual([own]);
      expect(acmePage.items).toEqual([acmes]);
      expect(gammaPage.items).toEqual([]);
      expect(requests).toEqual({ 'DynamoDB.Query': 3 });
    });

    it('deletes a subscription with its locator, and gives its place back to its own owner', async () => {
      // Prepare
      const tenantId = newId('key');
      await consumers.put(tenantId, 'acme', {}, NOW);
      const acmes = aSubscription({ tenantId, consumerId: 'acme', id: newId('sub') });
      await subscriptions.create(acmes, 1);
      const refusedAtLimit = await subscriptions.create(aSubscription({ tenantId, consumerId: 'acme', id: newId('sub') }), 1);
      const ownAtAnotherCount = await subscriptions.create(aSubscription({ tenantId, id: newId('sub') }), 1);

      // Act
      const deletedUnderTheTenant = await subscriptions.delete({ tenantId }, acmes.id);
      const deleted = await subscriptions.delete(acmes, acmes.id);
      const deletedAgain = await subscriptions.delete(acmes, acmes.id);

      // Assess
      expect([refusedAtLimit, ownAtAnotherCount]).toEqual(['quota_exceeded', true]);
      expect([deletedUnderTheTenant, deleted, deletedAgain]).toEqual([false, true, false]);
      expect(await rawItem(locatorKey(tenantId, acmes.id))).toBeUndefined();
      expect(await subscriptions.get(acmes, acmes.id)).toBeUndefined();
      expect(await rawItem(subscriptionCountKey(acmes))).toMatchObject({ count: { N: '0' } });
    });

    it('writes an update only while the subscription holds what it expects, bumping the version then and nothing otherwise', async () => {
      // Prepare
      const tenantId = newId('key');
      await consumers.put(tenantId, 'acme', {}, NOW);
      const acmes = aSubscription({ tenantId, consumerId: 'acme', id: newId('sub') });
      await subscriptions.create(acmes);
      await subscriptions.update(acmes, acmes.id, { enabled: false, disabledReason: 'endpoint_gone', disabledAt: NOW, updatedAt: NOW });

      // Act
      const refused = await subscriptions.update(acmes, acmes.id, { enabled: false, disabledReason: 'consumer_disabled', updatedAt: LATER }, { enabled: true });
      const wrongReason = await subscriptions.update(acmes, acmes.id, { enabled: true, updatedAt: LATER }, { enabled: false, disabledReason: 'consumer_disabled' });
      const written = await subscriptions.update(acmes, acmes.id, { enabled: true, disabledReason: null, updatedAt: LATER }, { enabled: false, disabledReason: 'endpoint_gone' });

      // Assess
      expect([refused, wrongReason]).toEqual([undefined, undefined]);
      expect(written).toMatchObject({ enabled: true, version: acmes.version + 2, updatedAt: LATER });
      expect(written?.disabledReason).toBeUndefined();
    });

    it('refuses a subscription of a consumer that does not exist, storing nothing and counting nothing', async () => {
      // Prepare
      const tenantId = newId('key');
      const orphan = aSubscription({ tenantId, consumerId: 'nobody', id: newId('sub') });

      // Act
      const result = await subscriptions.create(orphan);

      // Assess
      expect(result).toBe('consumer_not_found');
      expect(await subscriptions.locate(tenantId, orphan.id)).toBeUndefined();
      expect(await rawItem(locatorKey(tenantId, orphan.id))).toBeUndefined();
      const partition = await localClients().dynamo.send(
        new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `${tenantId}#consumer#nobody` } } }),
      );
      expect(partition.Items).toEqual([]);
      expect(await rawItem(subscriptionCountKey(orphan))).toMatchObject({ count: { N: '0' } });
    });
  });
});
