import { describe, expect, it } from 'vitest';
import type { RecoverMessage } from '../../../lambdas/core/messages';
import type { DeliveryRecord } from '../../../lambdas/core/model';
import { recover, type RecoverDeps } from '../../../lambdas/fanout/recover';
import { aSubscription, InMemoryDeliveryStore, InMemoryEventStore, InMemorySubscriptionStore, RecordingDeliveryPublisher, RecordingFanoutPublisher } from '../fakes';

const TENANT = 'tenant-1';
const SUBSCRIPTION_ID = 'sub_01JNKQ0000000000000000000S';

const aMessage = (overrides: Partial<RecoverMessage> = {}): RecoverMessage => ({
  v: 1,
  kind: 'recover',
  tenantId: TENANT,
  subscriptionId: SUBSCRIPTION_ID,
  since: 0,
  until: Date.parse('2030-01-01T00:00:00Z'),
  run: 'run_01JNKQ0000000000000000000R',
  ...overrides,
});

const aRecord = (eventId: string, status: DeliveryRecord['status']): DeliveryRecord => ({
  tenantId: TENANT,
  eventId,
  subscriptionId: SUBSCRIPTION_ID,
  eventType: 'order.created',
  run: eventId,
  status,
  attempts: 8,
  history: [],
  createdAt: '2026-03-01T12:00:00.000Z',
  updatedAt: '2026-03-01T12:00:00.000Z',
  expiresAt: 4_000_000_000,
});

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
    const result = await recover(aMessage(), deps);

    // Assess
    expect(result).toEqual({ status: 'done', deliveries: 1 });
    expect(deliveries.messages).toEqual([
      expect.objectContaining({ eventId: 'evt_A', subscriptionId: SUBSCRIPTION_ID, run: aMessage().run, subscriptionVersion: 7, dataJson: '{"id":"evt_A"}' }),
    ]);
  });

  it('sends nothing for a disabled subscription', async () => {
    // Prepare
    const { deps, deliveries } = await setUp({ enabled: false, records: [aRecord('evt_A', 'exhausted')], storedEvents: ['evt_A'] });

    // Act
    const result = await recover(aMessage(), deps);

    // Assess
    expect(result).toEqual({ status: 'subscription_unavailable' });
    expect(deliveries.messages).toEqual([]);
  });
});
