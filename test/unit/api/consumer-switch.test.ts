import { describe, expect, it } from 'vitest';
import { CONSUMER_DISABLED, disableConsumerSubscriptions, enableConsumerSubscriptions } from '../../../lambdas/api/consumer-switch';
import type { Subscription, SubscriptionOwner } from '../../../lambdas/core/model';
import type { Page, PageRequest } from '../../../lambdas/core/ports';
import { aSubscription } from '../../kit/builders';
import { InMemorySubscriptionStore } from '../../kit/fakes';

const ACME = { tenantId: 'tenant-1', consumerId: 'acme' };
const NOW = '2026-03-01T12:00:00.000Z';

/** A store in which delivery disables the subscription for its endpoint (410) right after each page is read. */
class EndpointGoneAfterRead extends InMemorySubscriptionStore {
  override async list(owner: SubscriptionOwner, page: PageRequest): Promise<Page<Subscription>> {
    const read = await super.list(owner, page);
    for (const s of read.items) await this.update(owner, s.id, { enabled: false, disabledReason: 'endpoint_gone', disabledAt: NOW, updatedAt: NOW });
    return read;
  }
}

describe('Disabling and enabling all of a consumer\'s subscriptions', () => {
  it('leaves a subscription its endpoint disabled between the read and the write with that reason, counting no disable', async () => {
    // Prepare
    const store = new EndpointGoneAfterRead([aSubscription({ ...ACME, id: 'sub_1' })]);

    // Act
    const disabled = await disableConsumerSubscriptions(store, ACME, NOW);

    // Assess
    expect(disabled).toEqual({ subscriptionsDisabled: 0, subscriptionsDisabledForOtherReasons: 0 });
    expect(await store.get(ACME, 'sub_1')).toMatchObject({ enabled: false, disabledReason: 'endpoint_gone' });
  });

  it('enables a subscription starting afresh: no failing period, circuit closed, and no reason left', async () => {
    // Prepare
    const paused = aSubscription({
      ...ACME,
      id: 'sub_1',
      enabled: false,
      disabledReason: CONSUMER_DISABLED,
      disabledAt: NOW,
      failingSince: '2026-02-27T12:00:00.000Z',
      circuitFailures: 12,
      circuitOpenedAt: '2026-02-28T12:00:00.000Z',
    });
    const store = new InMemorySubscriptionStore([paused]);

    // Act
    const enabled = await enableConsumerSubscriptions(store, ACME, NOW);

    // Assess
    expect(enabled).toEqual({ subscriptionsEnabled: 1, subscriptionsDisabledForOtherReasons: 0 });
    const after = await store.get(ACME, 'sub_1');
    expect(after).toMatchObject({ enabled: true, version: paused.version + 1, updatedAt: NOW });
    expect([after?.disabledReason, after?.disabledAt, after?.failingSince, after?.circuitFailures, after?.circuitOpenedAt]).toEqual(Array(5).fill(undefined));
  });
});
