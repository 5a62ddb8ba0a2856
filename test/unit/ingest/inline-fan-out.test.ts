import { describe, expect, it } from 'vitest';
import type { FanoutMessage } from '../../../lambdas/core/messages';
import type { Subscription } from '../../../lambdas/core/model';
import { createInlineFanOut, LARGE_TENANT_MEMORY_MS } from '../../../lambdas/ingest/inline-fan-out';
import { aFanoutMessage, aSubscription, TENANT } from '../../kit/builders';
import { InMemorySubscriptionStore, RecordingDeliveryPublisher } from '../../kit/fakes';


const aMessage = (overrides: Partial<FanoutMessage> = {}): FanoutMessage => aFanoutMessage({ eventId: 'evt_01JNKQ0000000000000000000E', ...overrides });

const setUp = (subscriptionCount: number, limit: number) => {
  let now = Date.parse('2026-03-01T12:00:00Z');
  const subscriptions = new InMemorySubscriptionStore(
    Array.from({ length: subscriptionCount }, (_, i) =>
      aSubscription({ tenantId: TENANT, id: `sub_01JNKQ00000000000000000${String(i).padStart(3, '0')}`, eventTypes: i === 0 ? ['refund.*'] : ['order.*'], enabled: i !== 1 }),
    ),
  );
  const deliveries = new RecordingDeliveryPublisher();
  const inline = createInlineFanOut({ subscriptions, deliveries, limit, now: () => now });
  /** The read and, when it takes the event, the send, as ingest runs them around the event's write. */
  const fanOut = async (message: FanoutMessage, target?: Subscription) => (await inline.prepare(message, target))?.();
  return { fanOut, subscriptions, deliveries, advance: (ms: number) => (now += ms) };
};

describe('Function: createInlineFanOut', () => {
  it('sends one delivery per enabled, matching subscription of a small set, in one publish, with the payload inline', async () => {
    // Prepare: 5 subscriptions, one not matching and one disabled.
    const { fanOut, deliveries } = setUp(5, 5);

    // Act
    const sent = await fanOut(aMessage());

    // Assess
    expect(sent?.subscriptionIds).toHaveLength(3);
    expect(deliveries.calls).toHaveLength(1);
    expect(deliveries.subscriptionIds).toEqual(['sub_01JNKQ00000000000000000002', 'sub_01JNKQ00000000000000000003', 'sub_01JNKQ00000000000000000004']);
    expect(deliveries.messages[0]).toMatchObject({ eventId: 'evt_01JNKQ0000000000000000000E', dataJson: '{"orderId":42}', hasData: true, run: 'evt_01JNKQ0000000000000000000E' });
  });

  it('declines a set larger than the limit, and does not read it again for a minute', async () => {
    // Prepare
    const { fanOut, subscriptions, deliveries, advance } = setUp(6, 5);

    // Act
    const first = await fanOut(aMessage());
    const soon = await fanOut(aMessage());
    advance(LARGE_TENANT_MEMORY_MS + 1);
    const later = await fanOut(aMessage());

    // Assess
    expect([first, soon, later]).toEqual([undefined, undefined, undefined]);
    expect(subscriptions.calls.list).toBe(2);
    expect(deliveries.calls).toHaveLength(0);
  });

  it('declines an event whose payload does not ride in the messages, and one to a subscription it was not given, without a read', async () => {
    // Prepare
    const { fanOut, subscriptions } = setUp(2, 5);

    // Act
    const large = await fanOut(aMessage({ dataJson: undefined, hasData: false }));
    const replay = await fanOut(aMessage({ subscriptionId: 'sub_01JNKQ00000000000000000002' }));

    // Assess
    expect([large, replay]).toEqual([undefined, undefined]);
    expect(subscriptions.calls.list).toBe(0);
  });

  it('fans out a set of exactly the limit', async () => {
    const { fanOut } = setUp(5, 5);
    expect((await fanOut(aMessage()))?.subscriptionIds).toHaveLength(3);
  });

  it("reads only the set of the event's consumer: the tenant's own subscriptions get none of its events", async () => {
    // Prepare: the tenant's 5, and one of consumer acme's.
    const { fanOut, subscriptions, deliveries } = setUp(5, 5);
    const acmes = aSubscription({ tenantId: TENANT, consumerId: 'acme', id: 'sub_01JNKQ00000000000000000099', eventTypes: ['order.*'] });
    await subscriptions.create(acmes);

    // Act
    const sent = await fanOut(aMessage({ consumerId: 'acme' }));

    // Assess
    expect(sent).toEqual({ subscriptionIds: [acmes.id] });
    expect(deliveries.messages[0]).toMatchObject({ consumerId: 'acme' });
  });

  it('fans an event published to one subscription out to it when it matches, and to nothing when it does not', async () => {
    // Prepare: subscription 0 takes refund.* only, subscription 2 order.*.
    const { fanOut, subscriptions } = setUp(3, 5);
    const matching = (await subscriptions.get({ tenantId: TENANT }, 'sub_01JNKQ00000000000000000002'))!;
    const other = (await subscriptions.get({ tenantId: TENANT }, 'sub_01JNKQ00000000000000000000'))!;

    // Act
    const toMatching = await fanOut(aMessage({ subscriptionId: matching.id }), matching);
    const toOther = await fanOut(aMessage({ subscriptionId: other.id }), other);

    // Assess
    expect([toMatching, toOther]).toEqual([{ subscriptionIds: [matching.id] }, { subscriptionIds: [] }]);
    expect(subscriptions.calls.list).toBe(0);
  });
});
