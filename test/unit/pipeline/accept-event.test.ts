import { describe, expect, it } from 'vitest';
import { isId } from '../../../lambdas/core/ids';
import { INLINE_DATA_LIMIT_BYTES } from '../../../lambdas/core/messages';
import { acceptEvent, IDEMPOTENCY_WINDOW_SECONDS, IN_FLIGHT_SECONDS, type AcceptEventDeps, type AcceptEventInput } from '../../../lambdas/pipeline/accept-event';
import type { StoredEvent } from '../../../lambdas/core/model';
import type { InlineFanOut } from '../../../lambdas/core/ports';
import { InMemoryEventStore, RecordingFanoutPublisher } from '../../kit/fakes';
import { aSubscription } from '../../kit/builders';
import { rejectionOf } from '../../kit/expectations';

const TENANT = 'tenant-1';
/** Ids are monotonic per process, so this clock only moves forward across tests. */
let clock = Date.parse('2027-06-01T00:00:00.000Z');

const setUp = () => {
  clock += 3600_000;
  const time = { now: clock };
  const events = new InMemoryEventStore();
  const fanout = new RecordingFanoutPublisher();
  const deps: AcceptEventDeps = { events, fanout, now: () => time.now, eventRetentionDays: 30 };
  return { time, events, fanout, deps };
};

const input = (overrides: Partial<AcceptEventInput> = {}, request: Partial<AcceptEventInput['request']> = {}): AcceptEventInput => ({
  tenantId: TENANT,
  request: { type: 'order.created', dataJson: '{"orderId": 1}', ...request },
  ...overrides,
});

describe('Function: acceptEvent', () => {
  it('without a key, stores the event once and hands it to fan-out once', async () => {
    // Prepare
    const { deps, events, fanout, time } = setUp();

    // Act
    const result = await acceptEvent(input(), deps);

    // Assess
    expect(isId('evt', result.id)).toBe(true);
    expect(result).toEqual({ id: result.id, type: 'order.created', createdAt: new Date(time.now).toISOString() });
    expect(events.calls.putEvent).toBe(1);
    expect(events.calls.claimIdempotencyKey).toBe(0);
    expect(fanout.messages).toEqual([
      {
        v: 1,
        tenantId: TENANT,
        eventId: result.id,
        eventType: 'order.created',
        createdAt: result.createdAt,
        run: result.id,
        dataJson: '{"orderId": 1}',
        hasData: true,
      },
    ]);
    const stored = await events.getEvent(TENANT, result.id);
    expect(stored).toMatchObject({ type: 'order.created', dataJson: '{"orderId": 1}', expiresAt: Math.floor(time.now / 1000) + 30 * 86400 });
  });

  it('treats a repeat whose data differs only in key order and whitespace as the same request', async () => {
    // Prepare
    const { deps, fanout } = setUp();
    const first = await acceptEvent(input({ headerIdempotencyKey: 'k-order' }, { dataJson: '{"a":1,"b":{"c":2,"d":3}}' }), deps);

    // Act
    const second = await acceptEvent(input({ headerIdempotencyKey: 'k-order' }, { dataJson: '{ "b": { "d": 3, "c": 2 },\n "a": 1 }' }), deps);

    // Assess
    expect(second).toEqual(first);
    expect(fanout.messages).toHaveLength(1);
  });

  it('leaves large data out of the fan-out message', async () => {
    // Prepare
    const { deps, fanout } = setUp();

    // Act
    await acceptEvent(input({}, { dataJson: JSON.stringify('x'.repeat(INLINE_DATA_LIMIT_BYTES)) }), deps);

    // Assess
    expect(fanout.messages[0]?.hasData).toBe(false);
    expect(fanout.messages[0]).not.toHaveProperty('dataJson');
  });

  it('with a key, answers a repeat with the same body with the original response and publishes nothing more', async () => {
    // Prepare
    const { deps, events, fanout, time } = setUp();
    const first = await acceptEvent(input({ headerIdempotencyKey: 'k-1' }), deps);
    time.now += 60_000;

    // Act
    const repeat = await acceptEvent(input({ headerIdempotencyKey: 'k-1' }), deps);

    // Assess
    expect(repeat).toEqual(first);
    expect(fanout.messages).toHaveLength(1);
    expect(events.calls.putEvent).toBe(1);
    expect(events.claims.get(`${TENANT}#k-1`)).toMatchObject({ handedOver: true, eventId: first.id, expiresAt: Math.floor((time.now - 60_000) / 1000) + IDEMPOTENCY_WINDOW_SECONDS });
  });

  it('treats the body idempotencyKey like the header', async () => {
    // Prepare
    const { deps, fanout } = setUp();
    const first = await acceptEvent(input({}, { idempotencyKey: 'k-body' }), deps);

    // Act
    const viaHeader = await acceptEvent(input({ headerIdempotencyKey: 'k-body' }), deps);

    // Assess
    expect(viaHeader).toEqual(first);
    expect(fanout.messages).toHaveLength(1);
  });

  it('answers 409 idempotency_conflict for the same key with a different body', async () => {
    // Prepare
    const { deps, fanout } = setUp();
    await acceptEvent(input({ headerIdempotencyKey: 'k-2' }), deps);

    // Act
    const error = await rejectionOf(acceptEvent(input({ headerIdempotencyKey: 'k-2' }, { dataJson: '{"orderId": 2}' }), deps));

    // Assess
    expect(error.statusCode).toBe(409);
    expect(error.code).toBe('idempotency_conflict');
    expect(fanout.messages).toHaveLength(1);
  });

  it('scopes keys to the tenant', async () => {
    // Prepare
    const { deps, fanout } = setUp();
    const mine = await acceptEvent(input({ headerIdempotencyKey: 'shared' }), deps);

    // Act
    const theirs = await acceptEvent(input({ tenantId: 'tenant-2', headerIdempotencyKey: 'shared' }), deps);

    // Assess
    expect(theirs.id).not.toBe(mine.id);
    expect(fanout.messages).toHaveLength(2);
  });

  it('re-hands over, with the original id, a claim that was never handed over and is older than IN_FLIGHT_SECONDS', async () => {
    // Prepare: the first request claims the key and stores the event, then fails to hand it over
    const { deps, events, fanout, time } = setUp();
    const firstAt = time.now;
    fanout.failNext = 1;
    await expect(acceptEvent(input({ headerIdempotencyKey: 'k-3' }), deps)).rejects.toThrow('simulated');
    const originalId = events.claims.get(`${TENANT}#k-3`)!.eventId;
    time.now = firstAt + IN_FLIGHT_SECONDS * 1000;

    // Act
    const result = await acceptEvent(input({ headerIdempotencyKey: 'k-3' }), deps);

    // Assess
    expect(result).toEqual({ id: originalId, type: 'order.created', createdAt: new Date(firstAt).toISOString() });
    expect(fanout.messages).toHaveLength(1);
    expect(fanout.messages[0]).toMatchObject({ eventId: originalId, run: originalId, createdAt: new Date(firstAt).toISOString() });
    expect(await events.getEvent(TENANT, originalId)).toMatchObject({ id: originalId, dataJson: '{"orderId": 1}' });
    expect(events.claims.get(`${TENANT}#k-3`)?.handedOver).toBe(true);
  });

  it('answers 409 request_in_progress with retry-after for a claim younger than IN_FLIGHT_SECONDS', async () => {
    // Prepare: a first request that claimed the key but has not handed the event over
    const { deps, fanout, time } = setUp();
    fanout.failNext = 1;
    await expect(acceptEvent(input({ headerIdempotencyKey: 'k-4' }), deps)).rejects.toThrow('simulated');
    time.now += IN_FLIGHT_SECONDS * 1000 - 1;

    // Act
    const error = await rejectionOf(acceptEvent(input({ headerIdempotencyKey: 'k-4' }), deps));

    // Assess
    expect(error.statusCode).toBe(409);
    expect(error.code).toBe('request_in_progress');
    expect(error.headers['retry-after']).toBe(String(IN_FLIGHT_SECONDS));
    expect(fanout.messages).toHaveLength(0);
  });

  it('answers 409 idempotency_conflict, not a re-hand-over, for a stale claim with a different body', async () => {
    // Prepare
    const { deps, fanout, time } = setUp();
    fanout.failNext = 1;
    await expect(acceptEvent(input({ headerIdempotencyKey: 'k-6' }), deps)).rejects.toThrow('simulated');
    time.now += IN_FLIGHT_SECONDS * 1000;

    // Act
    const error = await rejectionOf(acceptEvent(input({ headerIdempotencyKey: 'k-6' }, { type: 'order.cancelled' }), deps));

    // Assess
    expect(error.code).toBe('idempotency_conflict');
    expect(fanout.messages).toHaveLength(0);
  });

  it('answers 422 when the header and body keys differ, before touching the store', async () => {
    // Prepare
    const { deps, events, fanout } = setUp();

    // Act
    const error = await rejectionOf(acceptEvent(input({ headerIdempotencyKey: 'a' }, { idempotencyKey: 'b' }), deps));

    // Assess
    expect(error.statusCode).toBe(422);
    expect(error.code).toBe('idempotency_key_mismatch');
    expect(events.calls.claimIdempotencyKey + events.calls.putEvent).toBe(0);
    expect(fanout.messages).toHaveLength(0);
  });

  it('accepts the same key in header and body', async () => {
    // Prepare
    const { deps, fanout } = setUp();

    // Act
    await acceptEvent(input({ headerIdempotencyKey: 'same' }, { idempotencyKey: 'same' }), deps);

    // Assess
    expect(fanout.messages).toHaveLength(1);
  });

  it('lets a key be used again once its claim expired', async () => {
    // Prepare
    const { deps, fanout, time } = setUp();
    const first = await acceptEvent(input({ headerIdempotencyKey: 'k-5' }), deps);
    time.now += IDEMPOTENCY_WINDOW_SECONDS * 1000;

    // Act
    const second = await acceptEvent(input({ headerIdempotencyKey: 'k-5' }, { dataJson: '{"orderId": 99}' }), deps);

    // Assess
    expect(second.id).not.toBe(first.id);
    expect(fanout.messages).toHaveLength(2);
  });
  describe("ingest's inline fan-out", () => {
    /** An event store whose writes wait to be let through, and an inline fan-out that says when it reads and sends. */
    const instrumented = (deps: AcceptEventDeps, events: InMemoryEventStore, prepare?: InlineFanOut['prepare']) => {
      const order: string[] = [];
      let letWrite: () => void = () => undefined;
      const writing = new Promise<void>((resolve) => (letWrite = resolve));
      const inlineFanOut: InlineFanOut = {
        subscription: async () => undefined,
        prepare:
          prepare ??
          (async () => {
            order.push('read');
            return async () => {
              order.push('sent');
              return { subscriptionIds: ['sub_1'] };
            };
          }),
      };
      const store = Object.assign(Object.create(events) as InMemoryEventStore, {
        putEvent: async (event: StoredEvent) => {
          await writing;
          await events.putEvent(event);
          order.push('stored');
        },
      });
      return { order, letWrite, deps: { ...deps, events: store, inlineFanOut } };
    };

    it.each([
      ['without a key', {}],
      ['with a key', { headerIdempotencyKey: 'k-overlap' }],
    ])('%s, reads the subscriptions while the event is written, and sends only once it is stored', async (_label, keyed) => {
      // Prepare
      const { deps, events } = setUp();
      const { order, letWrite, deps: overlapping } = instrumented(deps, events);

      // Act
      const accepting = acceptEvent(input(keyed), overlapping);
      await new Promise((resolve) => setTimeout(resolve, 10));
      const beforeWrite = [...order];
      letWrite();
      const accepted = await accepting;

      // Assess
      expect(beforeWrite).toEqual(['read']);
      expect(order).toEqual(['read', 'stored', 'sent']);
      expect(accepted.matched).toEqual({ count: 1, subscriptionIds: ['sub_1'] });
    });

    it("answers the write's failure when the read failed too, and sends nothing", async () => {
      // Prepare
      const { deps, events, fanout } = setUp();
      const failing = Object.assign(Object.create(events) as InMemoryEventStore, { putEvent: () => Promise.reject(new Error('write throttled')) });
      const inlineFanOut: InlineFanOut = { subscription: async () => undefined, prepare: () => Promise.reject(new Error('read throttled')) };

      // Act
      const rejection = acceptEvent(input(), { ...deps, events: failing, inlineFanOut });

      // Assess
      await expect(rejection).rejects.toThrow('write throttled');
      expect(fanout.messages).toEqual([]);
    });
  });

  describe('an event published to one subscription', () => {
    const TARGET = aSubscription({ tenantId: TENANT, id: 'sub_01JNKQ00000000000000000001' });
    /** Ingest's inline fan-out, with the target subscription there or gone. */
    const withTarget = (deps: AcceptEventDeps, present: { value: boolean }): AcceptEventDeps => ({
      ...deps,
      inlineFanOut: {
        subscription: async () => (present.value ? TARGET : undefined),
        prepare: async (_message, target) => (target === undefined ? undefined : async () => ({ subscriptionIds: [target.id] })),
      },
    });

    it('answers a repeat with the first answer after the subscription was deleted, and anything else to it (another body, no key, a fresh one) 404', async () => {
      // Prepare
      const { deps, events, time } = setUp();
      const present = { value: true };
      const targeted = withTarget(deps, present);
      const publish = { subscriptionId: TARGET.id };
      const first = await acceptEvent(input({ headerIdempotencyKey: 'k-target' }, publish), targeted);
      present.value = false;
      time.now += 1000;

      // Act
      const repeat = await acceptEvent(input({ headerIdempotencyKey: 'k-target' }, publish), targeted);
      const otherBody = await rejectionOf(acceptEvent(input({ headerIdempotencyKey: 'k-target' }, { ...publish, dataJson: '{"orderId": 2}' }), targeted));
      const fresh = await rejectionOf(acceptEvent(input({ headerIdempotencyKey: 'k-fresh' }, publish), targeted));
      const unkeyed = await rejectionOf(acceptEvent(input({}, publish), targeted));

      // Assess
      expect(first.matched).toEqual({ count: 1, subscriptionIds: [TARGET.id] });
      expect(repeat).toEqual({ id: first.id, type: first.type, createdAt: first.createdAt });
      expect([otherBody, fresh, unkeyed]).toMatchObject(Array(3).fill({ statusCode: 404, code: 'subscription_not_found' }));
      expect(events.calls.putEvent).toBe(1);
    });

    it('answers 404, storing nothing, when the earlier request with the key never handed its event over or the key cannot be read', async () => {
      // Prepare
      const { deps, events, time } = setUp();
      const present = { value: true };
      const publish = { subscriptionId: TARGET.id };
      const stopped: AcceptEventDeps = { ...deps, inlineFanOut: { subscription: async () => TARGET, prepare: () => Promise.reject(new Error('the request stopped here')) } };
      await expect(acceptEvent(input({ headerIdempotencyKey: 'k-stopped' }, publish), stopped)).rejects.toThrow('the request stopped here');
      present.value = false;
      time.now += (IN_FLIGHT_SECONDS + 1) * 1000;
      const unreadable = withTarget({ ...deps, events: Object.assign(Object.create(events), { findIdempotencyKey: () => Promise.reject(new Error('throttled')) }) }, present);

      // Act
      const repeat = await rejectionOf(acceptEvent(input({ headerIdempotencyKey: 'k-stopped' }, publish), withTarget(deps, present)));
      const lookupFailed = await rejectionOf(acceptEvent(input({ headerIdempotencyKey: 'k-stopped' }, publish), unreadable));

      // Assess
      expect([repeat, lookupFailed]).toMatchObject(Array(2).fill({ statusCode: 404, code: 'subscription_not_found' }));
      expect(events.calls.putEvent).toBe(1);
    });
  });
});
