import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../lambdas/aws/dynamo-delivery-store';
import { ENV } from '../../lambdas/core/resource-env';
import { idBoundary, newId } from '../../lambdas/core/ids';
import type { DeliveryGroupLog, DeliveryRecord } from '../../lambdas/core/model';
import { aDeliveryGroupLog, aDeliveryRecord, aFailedAttempt, aGroupDelivery } from '../kit/builders';
import { createStackResources, localClients } from '../support/emulators';

const TENANT = 'tenant-log';
const EXPIRES = Math.floor(Date.now() / 1000) + 86400;

/** Subscription ids in ascending order, as fan-out reads and groups them. */
const subscriptionIds = Array.from({ length: 25 }, () => newId('sub')).sort();

const delivered = (at: number) => aGroupDelivery({ at: new Date(at).toISOString() });

const aGroupLog = (eventId: string, members: readonly string[], overrides: Partial<DeliveryGroupLog> = {}): DeliveryGroupLog =>
  aDeliveryGroupLog(members, {
    tenantId: TENANT,
    eventId,
    delivered: Object.fromEntries(members.map((id, index) => [id, delivered(Date.now() + index)])),
    expiresAt: EXPIRES,
    ...overrides,
  });

const aRecord = (eventId: string, subscriptionId: string, overrides: Partial<DeliveryRecord> = {}): DeliveryRecord =>
  aDeliveryRecord({
    tenantId: TENANT,
    eventId,
    subscriptionId,
    history: [aFailedAttempt({ at: new Date().toISOString() })],
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    expiresAt: EXPIRES,
    ...overrides,
  });

describe('Class: DynamoDeliveryStore, group logs', () => {
  let store: DynamoDeliveryStore;

  beforeAll(async () => {
    const resources = await createStackResources();
    store = new DynamoDeliveryStore(localClients().dynamo, resources.envForFunction('DeliveryFunction')[ENV.deliveriesTable]!);
  });

  /** A fresh tenant per test, so listings see only what the test wrote. */
  const tenant = () => `${TENANT}-${newId('key')}`;

  describe('Method: recordGroup', () => {
    it('adds to the entries a group already holds instead of replacing them', async () => {
      // Prepare
      const tenantId = tenant();
      const eventId = newId('evt');
      const [a, b, c] = subscriptionIds;

      // Act
      await store.recordGroup(aGroupLog(eventId, [a!, b!], { tenantId }));
      await store.recordGroup(aGroupLog(eventId, [a!, c!], { tenantId, delivered: { [c!]: delivered(Date.now()) } }));

      // Assess
      const log = await store.getGroup(tenantId, eventId, a!);
      expect(Object.keys(log!.delivered).sort()).toEqual([a, b, c]);
      expect(log).toMatchObject({ tenantId, eventId, eventType: 'order.created', firstSubscriptionId: a, expiresAt: EXPIRES });
      expect(log!.delivered[b!]).toEqual({ at: expect.any(String), statusCode: 200, durationMs: 7 });
    });
  });

  describe('Method: getForEvent', () => {
    it("merges an event's group entries with its records of their own, the record winning", async () => {
      // Prepare: 25 subscriptions in groups of 10, 10 and 5; one failed delivery in the middle group with its own record
      const tenantId = tenant();
      const eventId = newId('evt');
      for (let i = 0; i < 25; i += 10) await store.recordGroup(aGroupLog(eventId, subscriptionIds.slice(i, i + 10), { tenantId }));
      const failed = subscriptionIds[14]!;
      await store.recordAttempt(aRecord(eventId, failed, { tenantId }), 0);

      // Act
      const all = await store.getForEvent(tenantId, eventId, subscriptionIds);
      const some = await store.getForEvent(tenantId, eventId, subscriptionIds.slice(12, 17));

      // Assess
      expect(all).toHaveLength(25);
      expect(all.find((record) => record.subscriptionId === failed)).toMatchObject({ status: 'retrying', attempts: 1 });
      expect(all.filter((record) => record.status === 'delivered')).toHaveLength(24);
      expect(all.find((record) => record.subscriptionId === subscriptionIds[3])).toMatchObject({
        eventId,
        run: eventId,
        status: 'delivered',
        attempts: 1,
        history: [{ attempt: 1, outcome: 'delivered', statusCode: 200, durationMs: 7 }],
      });
      expect(some.map((record) => record.subscriptionId).sort()).toEqual(subscriptionIds.slice(12, 17));
    });
  });

  describe('Method: listBySubscription', () => {
    it("pages through a subscription's deliveries newest first, group entries and own records alike, each once", async () => {
      // Prepare: 30 events; the subscription is in each event's group, and 5 of them failed for it
      const tenantId = tenant();
      const subscriptionId = subscriptionIds[4]!;
      const group = subscriptionIds.slice(0, 10);
      const events = Array.from({ length: 30 }, () => newId('evt')).sort();
      for (const [index, eventId] of events.entries()) {
        const members = index % 6 === 0 ? group.filter((id) => id !== subscriptionId) : group;
        await store.recordGroup(aGroupLog(eventId, members, { tenantId, firstSubscriptionId: group[0]! }));
        if (index % 6 === 0) await store.recordAttempt(aRecord(eventId, subscriptionId, { tenantId, status: 'exhausted' }), 0);
      }
      // Another subscription's group of the same tenant does not show up.
      await store.recordGroup(aGroupLog(newId('evt'), subscriptionIds.slice(10, 20), { tenantId }));

      // Act
      const seen: DeliveryRecord[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listBySubscription(tenantId, subscriptionId, { limit: 7, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(7);
        seen.push(...page.items);
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined && pages < 50);

      // Assess
      expect(seen.map((record) => record.eventId)).toEqual([...events].reverse());
      expect(seen.filter((record) => record.status === 'exhausted')).toHaveLength(5);
      expect(seen.every((record) => record.subscriptionId === subscriptionId)).toBe(true);
    });

    it('lets the own record of a replayed delivery hide its first run’s group entry, and filters by status', async () => {
      // Prepare
      const tenantId = tenant();
      const subscriptionId = subscriptionIds[0]!;
      const eventId = newId('evt');
      await store.recordGroup(aGroupLog(eventId, subscriptionIds.slice(0, 3), { tenantId }));
      await store.recordAttempt(aRecord(eventId, subscriptionId, { tenantId, run: newId('evt'), status: 'retrying' }), 0);

      // Act
      const all = await store.listBySubscription(tenantId, subscriptionId, { limit: 10 });
      const deliveredOnly = await store.listBySubscription(tenantId, subscriptionId, { limit: 10, status: 'delivered' });
      const ofAnother = await store.listBySubscription(tenantId, subscriptionIds[1]!, { limit: 10, status: 'delivered' });
      const exhausted = await store.listBySubscription(tenantId, subscriptionIds[1]!, { limit: 10, status: 'exhausted' });

      // Assess
      expect(all.items.map((record) => record.status)).toEqual(['retrying']);
      expect(deliveredOnly.items).toEqual([]);
      expect(ofAnother.items.map((record) => [record.eventId, record.status])).toEqual([[eventId, 'delivered']]);
      expect(exhausted.items).toEqual([]);
    });

    it('keeps to the since/until window', async () => {
      // Prepare
      const tenantId = tenant();
      const subscriptionId = subscriptionIds[0]!;
      // An id of an hour ago (the id generator is monotonic, so it would not go back in time).
      const old = idBoundary('evt', Date.now() - 3_600_000, 'lowest');
      const recent = newId('evt');
      for (const eventId of [old, recent]) await store.recordGroup(aGroupLog(eventId, subscriptionIds.slice(0, 2), { tenantId }));

      // Act
      const page = await store.listBySubscription(tenantId, subscriptionId, { limit: 10, since: Date.now() - 60_000 });

      // Assess
      expect(page.items.map((record) => record.eventId)).toEqual([recent]);
    });
  });
});

describe('Class: DynamoDeliveryStore, delivery records', () => {
  let store: DynamoDeliveryStore;

  beforeAll(async () => {
    const resources = await createStackResources();
    store = new DynamoDeliveryStore(localClients().dynamo, resources.envForFunction('DeliveryFunction')[ENV.deliveriesTable]!);
  });

  const tenant = () => `${TENANT}-${newId('key')}`;
  const failedAttempt = (attempt: number, statusCode: number) => aFailedAttempt({ attempt, at: new Date().toISOString(), statusCode });

  describe('Method: recordAttempt', () => {
    it('refuses a second write counted from the same previous attempt count, keeping the first one', async () => {
      // Prepare: two receives of one message both read "no attempt yet" and both attempted
      const tenantId = tenant();
      const eventId = newId('evt');
      const subscriptionId = subscriptionIds[0]!;
      const first = aRecord(eventId, subscriptionId, { tenantId, attempts: 1, history: [failedAttempt(1, 500)] });
      const second = aRecord(eventId, subscriptionId, { tenantId, attempts: 1, history: [failedAttempt(1, 503)] });

      // Act
      const firstResult = await store.recordAttempt(first, 0);
      const secondResult = await store.recordAttempt(second, 0);

      // Assess
      expect(firstResult).toBe('recorded');
      expect(secondResult).toBe('conflict');
      const stored = await store.get(tenantId, subscriptionId, eventId);
      expect(stored).toMatchObject({ attempts: 1, history: [{ attempt: 1, statusCode: 500 }] });
    });

    it('takes the next attempt counted from the stored count, and refuses a stale count once the record moved on', async () => {
      // Prepare
      const tenantId = tenant();
      const eventId = newId('evt');
      const subscriptionId = subscriptionIds[1]!;
      await store.recordAttempt(aRecord(eventId, subscriptionId, { tenantId, attempts: 1, history: [failedAttempt(1, 500)] }), 0);
      const secondAttempt = aRecord(eventId, subscriptionId, {
        tenantId,
        attempts: 2,
        history: [failedAttempt(1, 500), failedAttempt(2, 502)],
      });
      const staleRetry = aRecord(eventId, subscriptionId, {
        tenantId,
        attempts: 2,
        history: [failedAttempt(1, 500), failedAttempt(2, 504)],
      });

      // Act
      const next = await store.recordAttempt(secondAttempt, 1);
      const stale = await store.recordAttempt(staleRetry, 1);
      const countedFromZero = await store.recordAttempt(aRecord(eventId, subscriptionId, { tenantId, attempts: 1 }), 0);

      // Assess
      expect(next).toBe('recorded');
      expect(stale).toBe('conflict');
      expect(countedFromZero).toBe('conflict');
      const stored = await store.get(tenantId, subscriptionId, eventId);
      expect(stored).toMatchObject({ attempts: 2 });
      expect(stored!.history.map((attempt) => attempt.statusCode)).toEqual([500, 502]);
    });

    it('lets a newer run start over from no attempts, and refuses a write of an older run', async () => {
      // Prepare: the first run is exhausted after 3 attempts
      const tenantId = tenant();
      const eventId = newId('evt');
      const subscriptionId = subscriptionIds[2]!;
      await store.recordAttempt(aRecord(eventId, subscriptionId, { tenantId, status: 'exhausted', attempts: 3 }), 0);
      const replay = newId('evt');

      // Act
      const newerRun = await store.recordAttempt(aRecord(eventId, subscriptionId, { tenantId, run: replay, attempts: 1 }), 0);
      const olderRun = await store.recordAttempt(aRecord(eventId, subscriptionId, { tenantId, status: 'exhausted', attempts: 4 }), 3);

      // Assess
      expect(newerRun).toBe('recorded');
      expect(olderRun).toBe('conflict');
      expect(await store.get(tenantId, subscriptionId, eventId)).toMatchObject({ run: replay, attempts: 1 });
    });
  });
});
