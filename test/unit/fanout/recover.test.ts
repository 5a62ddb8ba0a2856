import { describe, expect, it } from 'vitest';
import type { DeliveryRecord } from '../../../lambdas/core/model';
import { recover, type RecoverDeps } from '../../../lambdas/fanout/recover';
import { aDeliveryRecord, aRecoverMessage, aSubscription, SUBSCRIPTION_ID, TENANT } from '../../kit/builders';
import { InMemoryDeliveryStore, InMemoryEventStore, InMemorySubscriptionStore, RecordingDeliveryPublisher, RecordingFanoutPublisher } from '../../kit/fakes';

/** A delivery of the subscription that ended in `status` after 8 attempts. */
const aRecord = (eventId: string, status: DeliveryRecord['status']): DeliveryRecord => aDeliveryRecord({ eventId, status, attempts: 8 });

const setUp = async (options: { enabled?: boolean; records?: DeliveryRecord[]; storedEvents?: string[] } = {}) => {
  const subscriptions = new InMemorySubscriptionStore([
    aSubscription({ tenantId: TENANT, id: SUBSCRIPTION_ID, enabled: options.enabled ?? true, version: 7 }),
  ]);
  const deliveryLog = new InMemoryDeliveryStore();
  for (const record of options.records ?? []) await deliveryLog.recordAttempt(record, 0);
  const events = new InMemoryEventStore();
  for (const id of options.storedEvents ?? []) {
    await events.putEvent({ tenantId: TENANT, id, type: 'order.created', dataJson: JSON.stringify({ id }), createdAt: '2026-03-01T12:00:00.000Z', expiresAt: 4_000_000_000 });
  }
  const deliveries = new RecordingDeliveryPublisher();
  const fanout = new RecordingFanoutPublisher();
  const deps: RecoverDeps = { subscriptions, deliveryLog, events, deliveries, fanout, pageSize: 100, maxPagesPerInvocation: 5 };
  return { deps, deliveries, fanout };
};

describe('Function: recover', () => {
  it('re-sends only the exhausted deliveries whose events are still kept, under the recovery run', async () => {
    // Prepare
    const { deps, deliveries } = await setUp({
      records: [aRecord('evt_A', 'exhausted'), aRecord('evt_B', 'delivered'), aRecord('evt_C', 'exhausted')],
      storedEvents: ['evt_A', 'evt_B'],
    });

    // Act
    const result = await recover(aRecoverMessage(), deps);

    // Assess
    expect(result).toEqual({ status: 'done', deliveries: 1 });
    expect(deliveries.messages).toEqual([
      expect.objectContaining({ eventId: 'evt_A', subscriptionId: SUBSCRIPTION_ID, run: aRecoverMessage().run, subscriptionVersion: 7, dataJson: '{"id":"evt_A"}' }),
    ]);
  });

  it('sends nothing for a disabled subscription', async () => {
    // Prepare
    const { deps, deliveries } = await setUp({ enabled: false, records: [aRecord('evt_A', 'exhausted')], storedEvents: ['evt_A'] });

    // Act
    const result = await recover(aRecoverMessage(), deps);

    // Assess
    expect(result).toEqual({ status: 'subscription_unavailable' });
    expect(deliveries.messages).toEqual([]);
  });
});
