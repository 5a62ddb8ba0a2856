import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoSlowAttemptSlots } from '../../lambdas/aws/dynamo-slow-attempt-slots';
import { DynamoSubscriptionStore } from '../../lambdas/aws/dynamo-subscription-store';
import { ENV } from '../../lambdas/core/resource-env';
import { newId } from '../../lambdas/core/ids';
import { aSubscription } from '../kit/builders';
import { createStackResources, localClients } from '../support/emulators';

const NOW = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

/** The stores behind endpoint isolation, against DynamoDB Local: every condition is the table's, not a fake's. */
describe('Endpoint isolation stores', () => {
  let slots: DynamoSlowAttemptSlots;
  let subscriptions: DynamoSubscriptionStore;

  beforeAll(async () => {
    const resources = await createStackResources();
    const env = resources.envForFunction('DeliveryFunction');
    slots = new DynamoSlowAttemptSlots(localClients().dynamo, env[ENV.deliveriesTable]!);
    subscriptions = new DynamoSubscriptionStore(localClients().dynamo, env[ENV.subscriptionsTable]!);
  });

  describe('Class: DynamoSlowAttemptSlots', () => {
    const anEndpoint = () => ({ tenantId: newId('key'), subscriptionId: newId('sub') });

    it('grants at most `limit` leases at once, across callers, and a released slot again', async () => {
      // Prepare
      const endpoint = anEndpoint();

      // Act: ten callers at once for three slots.
      const leases = await Promise.all(Array.from({ length: 10 }, () => slots.acquire(endpoint, 3, NOW + 60_000, NOW)));
      const granted = leases.filter((lease) => lease !== undefined);
      await granted[0]!.release();
      const afterRelease = await slots.acquire(endpoint, 3, NOW + 60_000, NOW);
      const whileFull = await slots.acquire(endpoint, 3, NOW + 60_000, NOW);

      // Assess
      expect(granted).toHaveLength(3);
      expect(afterRelease).toBeDefined();
      expect(whileFull).toBeUndefined();
    });

    it('frees the slots of holders that never released them once their leases ended', async () => {
      // Prepare: two leases that end in a second, never released.
      const endpoint = anEndpoint();
      await slots.acquire(endpoint, 2, NOW + 1_000, NOW);
      await slots.acquire(endpoint, 2, NOW + 1_000, NOW);

      // Act
      const beforeEnd = await slots.acquire(endpoint, 2, NOW + 60_000, NOW + 500);
      const afterEnd = await slots.acquire(endpoint, 2, NOW + 60_000, NOW + 1_001);

      // Assess
      expect(beforeEnd).toBeUndefined();
      expect(afterEnd).toBeDefined();
    });

    it('keeps separate slots per endpoint, and for all endpoints together', async () => {
      // Prepare
      const tenantId = newId('key');
      const [first, second] = [{ tenantId, subscriptionId: newId('sub') }, { tenantId, subscriptionId: newId('sub') }];
      await slots.acquire(first, 1, NOW + 60_000, NOW);

      // Act
      const other = await slots.acquire(second, 1, NOW + 60_000, NOW);
      const same = await slots.acquire(first, 1, NOW + 60_000, NOW);
      const shared = await slots.acquire('all endpoints', 1, NOW + 60_000, NOW);
      const sharedAgain = await slots.acquire('all endpoints', 1, NOW + 60_000, NOW);

      // Assess
      expect(other).toBeDefined();
      expect(same).toBeUndefined();
      expect(shared).toBeDefined();
      expect(sharedAgain).toBeUndefined();
    });

    it('leaves a slot another caller took over after the lease ended when the late holder releases', async () => {
      // Prepare: a lease that ended, taken over by a second caller.
      const endpoint = anEndpoint();
      const late = await slots.acquire(endpoint, 1, NOW + 1_000, NOW);
      const successor = await slots.acquire(endpoint, 1, NOW + 60_000, NOW + 2_000);

      // Act
      await late!.release();
      const third = await slots.acquire(endpoint, 1, NOW + 60_000, NOW + 3_000);

      // Assess
      expect(successor).toBeDefined();
      expect(third).toBeUndefined();
    });
  });

  describe('Class: DynamoSubscriptionStore, circuit', () => {
    const created = async () => {
      const subscription = aSubscription({ tenantId: newId('key'), id: newId('sub'), version: 3 });
      await subscriptions.create(subscription);
      return subscription;
    };

    it('counts failures in a row without bumping the version, and starts again after an answer the caller saw', async () => {
      // Prepare
      const { tenantId, id } = await created();

      // Act
      await subscriptions.countUnanswered({ tenantId }, id, { at: iso(NOW), error: 'timeout: a' }, undefined);
      const second = await subscriptions.countUnanswered({ tenantId }, id, { at: iso(NOW + 1), error: 'timeout: b' }, iso(NOW - 1));
      const afterAnswer = await subscriptions.countUnanswered({ tenantId }, id, { at: iso(NOW + 3), error: 'connection: c' }, iso(NOW + 2));

      // Assess
      expect(second).toMatchObject({ circuitFailures: 2, circuitCountingSince: iso(NOW), circuitLastError: 'timeout: b', version: 3 });
      expect(afterAnswer).toMatchObject({ circuitFailures: 1, circuitCountingSince: iso(NOW + 3), circuitLastError: 'connection: c' });
    });

    it('opens once, lets one caller claim each probe, and closes', async () => {
      // Prepare
      const { tenantId, id } = await created();
      await subscriptions.countUnanswered({ tenantId }, id, { at: iso(NOW), error: 'timeout: a' }, undefined);

      // Act
      const opened = await subscriptions.openCircuit({ tenantId }, id, { at: iso(NOW), nextProbeAt: iso(NOW + 5_000), probeSeconds: 5 });
      const openedAgain = await subscriptions.openCircuit({ tenantId }, id, { at: iso(NOW + 1), nextProbeAt: iso(NOW + 6_000), probeSeconds: 5 });
      const claim = { seenNextProbeAt: iso(NOW + 5_000), nextProbeAt: iso(NOW + 15_000), probeSeconds: 10 };
      const claims = await Promise.all([subscriptions.claimProbe({ tenantId }, id, claim), subscriptions.claimProbe({ tenantId }, id, claim)]);
      const closed = await subscriptions.closeCircuit({ tenantId }, id);

      // Assess
      expect(opened).toMatchObject({ circuitOpenedAt: iso(NOW), circuitNextProbeAt: iso(NOW + 5_000) });
      expect(openedAgain).toBeUndefined();
      expect(claims.filter((won) => won !== undefined)).toEqual([expect.objectContaining({ circuitNextProbeAt: iso(NOW + 15_000), circuitProbeSeconds: 10 })]);
      expect(closed).toMatchObject({ circuitLastError: 'timeout: a', version: 3 });
      expect([closed?.circuitOpenedAt, closed?.circuitFailures, closed?.circuitNextProbeAt]).toEqual([undefined, undefined, undefined]);
    });

    it('bumps the health revision on every health and circuit write, so copies answered out of order can be told apart', async () => {
      // Prepare
      const { tenantId, id } = await created();

      // Act
      const written = [
        await subscriptions.countUnanswered({ tenantId }, id, { at: iso(NOW), error: 'timeout: a' }, undefined),
        await subscriptions.setFailingSince({ tenantId }, id, iso(NOW)),
        await subscriptions.openCircuit({ tenantId }, id, { at: iso(NOW), nextProbeAt: iso(NOW + 5_000), probeSeconds: 5 }),
        await subscriptions.claimProbe({ tenantId }, id, { seenNextProbeAt: iso(NOW + 5_000), nextProbeAt: iso(NOW + 15_000), probeSeconds: 10 }),
        await subscriptions.closeCircuit({ tenantId }, id),
        await subscriptions.setFailingSince({ tenantId }, id, null),
      ];

      // Assess
      expect(written.map((subscription) => [subscription?.healthRevision, subscription?.version])).toEqual([
        [1, 3],
        [2, 3],
        [3, 3],
        [4, 3],
        [5, 3],
        [6, 3],
      ]);
    });

    it('writes nothing for a subscription that is gone', async () => {
      // Assess
      expect(await subscriptions.countUnanswered({ tenantId: 'nobody' }, newId('sub'), { at: iso(NOW), error: 'x' }, undefined)).toBeUndefined();
      expect(await subscriptions.closeCircuit({ tenantId: 'nobody' }, newId('sub'))).toBeUndefined();
      expect(await subscriptions.get({ tenantId: 'nobody' }, 'sub_none')).toBeUndefined();
    });
  });
});
