import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { DeliveryGroupMessage, FanoutMessage } from '../../../lambdas/core/messages';
import { openSnapshot, snapshotKeyFrom } from '../../../lambdas/core/subscription-snapshot';
import type { Subscription } from '../../../lambdas/core/model';
import { fanOut, type FanOutDeps } from '../../../lambdas/fanout/fan-out';
import { aFanoutMessage, aSubscription, EVENT_ID, TENANT } from '../../kit/builders';
import { InMemoryConsumerStore, InMemoryEventStore, InMemorySubscriptionStore, RecordingDeliveryPublisher, RecordingFanoutPublisher } from '../../kit/fakes';


const NOW_TEXT = '2026-03-01T12:00:00.000Z';

/** The event's time and data the assertions below spell out. */
const aMessage = (overrides: Partial<FanoutMessage> = {}): FanoutMessage =>
  aFanoutMessage({ createdAt: '2026-03-01T12:00:00.000Z', dataJson: '{"orderId":1}', ...overrides });

const sub = (n: number, overrides: Partial<Subscription> = {}): Subscription =>
  aSubscription({ tenantId: TENANT, id: `sub_${String(n).padStart(4, '0')}`, version: n + 10, ...overrides });

const setUp = (subscriptions: Subscription[], options: { pageSize?: number; maxPagesPerInvocation?: number } = {}) => {
  const store = new InMemorySubscriptionStore(subscriptions);
  const events = new InMemoryEventStore();
  const deliveries = new RecordingDeliveryPublisher();
  const consumers = new InMemoryConsumerStore(store);
  const fanout = new RecordingFanoutPublisher();
  const deps: FanOutDeps = {
    subscriptions: store,
    consumers,
    events,
    deliveries,
    fanout,
    pageSize: options.pageSize ?? 100,
    maxPagesPerInvocation: options.maxPagesPerInvocation ?? 10,
    now: () => Date.parse(NOW_TEXT),
  };
  return { deps, store, consumers, events, deliveries, fanout };
};

describe('Function: fanOut', () => {
  it("seals each group's subscriptions, as of the read of their page, under the deployment's key; without a key, none", async () => {
    // Prepare
    const key = snapshotKeyFrom(randomBytes(32).toString('base64url'));
    const sealing = setUp([sub(1), sub(2), sub(3)], { pageSize: 2 });
    let clock = 1_000;
    sealing.deps.now = () => (clock += 1_000);
    sealing.deps.snapshotKeys = { current: async () => key };
    const plain = setUp([sub(1), sub(2), sub(3)]);

    // Act
    await fanOut(aMessage(), sealing.deps);
    await fanOut(aMessage(), plain.deps);

    // Assess
    const groups = sealing.deliveries.messages as DeliveryGroupMessage[];
    const opened = groups.map((group) => openSnapshot(key, group, group.sealed!));
    expect(opened.map((snapshot) => snapshot?.subscriptions.map((s) => [s.id, s.version]))).toEqual([
      [['sub_0001', 11], ['sub_0002', 12]],
      [['sub_0003', 13]],
    ]);
    // Each page's read takes a clock reading of its own (after the one taken before any read).
    expect(opened.map((snapshot) => snapshot?.fetchedAt)).toEqual([3_000, 4_000]);
    expect((plain.deliveries.messages as DeliveryGroupMessage[]).map((group) => group.sealed)).toEqual([undefined]);
  });

  it('sends one delivery message to each matching, enabled subscription and none to the others', async () => {
    // Prepare
    const { deps, deliveries } = setUp([
      sub(1, { eventTypes: ['order.*'] }),
      sub(2, { eventTypes: ['*'] }),
      sub(3, { eventTypes: ['order.created'] }),
      sub(4, { eventTypes: ['order.cancelled'] }),
      sub(5, { eventTypes: ['orders.*'] }),
      sub(6, { eventTypes: ['*'], enabled: false }),
      sub(7, { eventTypes: ['invoice.paid', 'order.created'] }),
      aSubscription({ tenantId: 'tenant-2', id: 'sub_other', eventTypes: ['*'] }),
    ]);

    // Act
    const result = await fanOut(aMessage(), deps);

    // Assess
    expect(result).toEqual({ status: 'done', deliveries: 4 });
    expect(deliveries.subscriptionIds).toEqual(['sub_0001', 'sub_0002', 'sub_0003', 'sub_0007']);
  });

  it('carries the run, event id, type, data and the subscription version into each delivery message', async () => {
    // Prepare
    const run = 'run_01JNKQ0000000000000000000Z';
    const { deps, deliveries } = setUp([sub(1)]);

    // Act
    await fanOut(aMessage({ run }), deps);

    // Assess
    expect(deliveries.messages).toEqual([
      {
        v: 1,
        tenantId: TENANT,
        eventId: EVENT_ID,
        eventType: 'order.created',
        createdAt: '2026-03-01T12:00:00.000Z',
        run,
        subscriptionId: 'sub_0001',
        subscriptionVersion: 11,
        dataJson: '{"orderId":1}',
        hasData: true,
      },
    ]);
  });

  it("groups an event's first run: up to 10 subscriptions per message, in id order, with their versions and the payload once", async () => {
    // Prepare
    const { deps, deliveries } = setUp(Array.from({ length: 23 }, (_, i) => sub(i)), { pageSize: 100 });

    // Act
    const result = await fanOut(aMessage(), deps);

    // Assess
    expect(result).toEqual({ status: 'done', deliveries: 23 });
    expect(deliveries.messages.map((m) => ('subscriptions' in m ? m.subscriptions.length : 0))).toEqual([10, 10, 3]);
    expect(deliveries.messages[0]).toEqual({
      v: 1,
      tenantId: TENANT,
      eventId: EVENT_ID,
      eventType: 'order.created',
      createdAt: '2026-03-01T12:00:00.000Z',
      run: EVENT_ID,
      subscriptions: Array.from({ length: 10 }, (_, i) => ({ id: sub(i).id, version: i + 10 })),
      dataJson: '{"orderId":1}',
      hasData: true,
    });
    expect(deliveries.subscriptionIds).toEqual(Array.from({ length: 23 }, (_, i) => sub(i).id));
  });

  it('sends nothing and finishes when nothing matches', async () => {
    // Prepare
    const { deps, deliveries, fanout } = setUp([sub(1, { eventTypes: ['user.*'] })]);

    // Act
    const result = await fanOut(aMessage(), deps);

    // Assess
    expect(result).toEqual({ status: 'done', deliveries: 0 });
    expect(deliveries.messages).toHaveLength(0);
    expect(fanout.messages).toHaveLength(0);
  });

  it('pages through every subscription within one invocation when the pages fit', async () => {
    // Prepare
    const { deps, deliveries, store } = setUp(Array.from({ length: 25 }, (_, i) => sub(i)), { pageSize: 10 });

    // Act
    const result = await fanOut(aMessage(), deps);

    // Assess
    expect(result).toEqual({ status: 'done', deliveries: 25 });
    expect(store.calls.list).toBe(3);
    expect(new Set(deliveries.subscriptionIds).size).toBe(25);
  });

  it('hands the rest to a continuation message after maxPagesPerInvocation, which then finishes the job', async () => {
    // Prepare
    const { deps, deliveries, fanout } = setUp(Array.from({ length: 25 }, (_, i) => sub(i)), { pageSize: 5, maxPagesPerInvocation: 2 });
    const message = aMessage();

    // Act
    const first = await fanOut(message, deps);
    const continuations: FanoutMessage[] = [];
    let result = first;
    while (result.status === 'continued') {
      const next = fanout.messages.at(-1)!;
      continuations.push(next);
      result = await fanOut(next, deps);
    }

    // Assess
    expect(first).toEqual({ status: 'continued', deliveries: 10, cursor: expect.any(String) });
    expect(continuations).toHaveLength(2);
    expect(continuations[0]).toEqual({ ...message, cursor: 'cursor' in first ? first.cursor : '' });
    expect(result).toEqual({ status: 'done', deliveries: 5 });
    const ids = deliveries.subscriptionIds;
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
  });

  it('replays to one subscription only, whatever the others are subscribed to', async () => {
    // Prepare
    const run = 'run_01JNKQ0000000000000000000Y';
    const { deps, deliveries, store } = setUp([sub(1), sub(2), sub(3)]);

    // Act
    const result = await fanOut(aMessage({ run, subscriptionId: 'sub_0002' }), deps);

    // Assess
    expect(result).toEqual({ status: 'done', deliveries: 1 });
    expect(deliveries.messages).toEqual([expect.objectContaining({ subscriptionId: 'sub_0002', run, subscriptionVersion: 12 })]);
    expect(store.calls.list).toBe(0);
  });

  it('replays to nothing when the named subscription is disabled or gone', async () => {
    // Prepare
    const { deps, deliveries } = setUp([sub(1, { enabled: false })]);

    // Act
    const disabled = await fanOut(aMessage({ subscriptionId: 'sub_0001' }), deps);
    const gone = await fanOut(aMessage({ subscriptionId: 'sub_9999' }), deps);

    // Assess
    expect(disabled).toEqual({ status: 'done', deliveries: 0 });
    expect(gone).toEqual({ status: 'done', deliveries: 0 });
    expect(deliveries.messages).toHaveLength(0);
  });

  it('leaves large data in the event store: delivery messages say hasData false', async () => {
    // Prepare
    const { deps, deliveries, events } = setUp([sub(1)]);
    await events.putEvent({ tenantId: TENANT, id: EVENT_ID, type: 'order.created', dataJson: '"big"', createdAt: '2026-03-01T12:00:00.000Z', expiresAt: 0 });
    const { dataJson: _data, ...message } = aMessage({ hasData: false });

    // Act
    const result = await fanOut(message, deps);

    // Assess
    expect(result).toEqual({ status: 'done', deliveries: 1 });
    expect(deliveries.messages[0]?.hasData).toBe(false);
    expect(deliveries.messages[0]).not.toHaveProperty('dataJson');
  });

  it('sends nothing to a subscription whose payload filter the event does not match', async () => {
    // Prepare
    const { deps, deliveries } = setUp([
      sub(1, { filter: { data: { orderId: [1] } } }),
      sub(2, { filter: { data: { orderId: [{ numeric: ['>', 1] }] } } }),
      sub(3, { filter: { type: [{ prefix: 'order.' }], data: { coupon: [{ exists: false }] } } }),
    ]);

    // Act
    const result = await fanOut(aMessage(), deps);

    // Assess
    expect(result).toEqual({ status: 'done', deliveries: 2 });
    expect(deliveries.subscriptionIds).toEqual(['sub_0001', 'sub_0003']);
  });

  it('matches payload filters against large data with the event read it makes anyway', async () => {
    // Prepare
    const { deps, deliveries, events } = setUp([sub(1, { filter: { data: { size: ['big'] } } }), sub(2, { filter: { data: { size: ['small'] } } })]);
    await events.putEvent({ tenantId: TENANT, id: EVENT_ID, type: 'order.created', dataJson: '{"size":"big"}', createdAt: '2026-03-01T12:00:00.000Z', expiresAt: 0 });
    const { dataJson: _data, ...message } = aMessage({ hasData: false });

    // Act
    const result = await fanOut(message, deps);

    // Assess
    expect(result).toEqual({ status: 'done', deliveries: 1 });
    expect(deliveries.subscriptionIds).toEqual(['sub_0001']);
    expect(events.calls.getEvent).toBe(1);
  });

  it('answers event_gone without sending when non-inline data has expired', async () => {
    // Prepare
    const { deps, deliveries } = setUp([sub(1)]);
    const { dataJson: _data, ...message } = aMessage({ hasData: false });

    // Act
    const result = await fanOut(message, deps);

    // Assess
    expect(result).toEqual({ status: 'event_gone' });
    expect(deliveries.messages).toHaveLength(0);
  });

  it("fans a broadcast out to the tenant's own subscriptions and sends each consumer the same event as an ordinary message of its own", async () => {
    // Prepare
    const run = 'run_01JNKQ0000000000000000000X';
    const { deps, consumers, deliveries, fanout } = setUp([sub(1), aSubscription({ tenantId: TENANT, consumerId: 'c1', id: 'sub_c1' })]);
    for (const [tenantId, consumer] of [[TENANT, 'c1'], [TENANT, 'c2'], ['tenant-2', 'c9']] as const) await consumers.put(tenantId, consumer, {}, NOW_TEXT);
    const message = aMessage({ run, broadcast: true });

    // Act
    const result = await fanOut(message, deps);

    // Assess
    expect(result).toEqual({ status: 'done', deliveries: 1, consumers: 2 });
    expect(deliveries.subscriptionIds).toEqual(['sub_0001']);
    const { broadcast: _broadcast, ...event } = message;
    expect(fanout.messages).toEqual([
      { ...event, consumerId: 'c1' },
      { ...event, consumerId: 'c2' },
    ]);
  });
});
