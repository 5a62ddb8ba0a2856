import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_SWITCH_PAGE } from '../../lambdas/api/consumer-switch';
import { ReceiverPool, type Receiver } from '../support/receiver';
import { LOCAL_DELIVERY, type Pipeline, startPipeline } from '../support/pipeline';

/** Consumers through the API and the local pipeline: routing by consumer, end to end, to real receivers. */
describe('Consumers', () => {
  let pipeline: Pipeline;
  const receivers = new ReceiverPool();

  beforeAll(async () => {
    pipeline = await startPipeline(LOCAL_DELIVERY);
  });

  afterAll(receivers.closeAll);

  const putConsumer = async (key: string, consumerId: string, body: Record<string, unknown> = {}) => {
    const response = await pipeline.call('PUT', `/v1/consumers/${encodeURIComponent(consumerId)}`, { key, body });
    expect([200, 201], response.text).toContain(response.status);
    return response;
  };
  const subscribe = async (key: string, url: string, fields: Record<string, unknown>): Promise<string> => {
    const response = await pipeline.call('POST', '/v1/subscriptions', { key, body: { url, eventTypes: ['*'], ...fields } });
    expect(response.status, response.text).toBe(201);
    return response.body.id as string;
  };
  const publish = async (key: string, body: Record<string, unknown>) => {
    const response = await pipeline.call('POST', '/v1/events', { key, body: { type: 'order.created', data: {}, ...body } });
    expect(response.status, response.text).toBe(202);
    return response.body as { id: string; matched?: { count: number; subscriptionIds: string[] } };
  };
  /** The (event id, receiver path) pairs the receivers got. */
  const receivedPairs = (receiver: Receiver): string[] =>
    [...new Set(receiver.requests.map((request) => `${String(request.headers['webhook-id'])} ${request.path}`))].sort();

  describe('API', () => {
    it('creates a consumer (201), changes it (200), reads, lists and deletes it with its subscriptions, saying how many went', async () => {
      // Prepare
      const key = await pipeline.createKey('consumers-api');

      // Act
      const created = await putConsumer(key, 'acme', { name: 'Acme', metadata: { plan: 'pro' } });
      const changed = await putConsumer(key, 'acme', { name: 'Acme Corp' });
      const subscriptionIds = [await subscribe(key, 'https://hooks.example.com/a', { consumerId: 'acme' }), await subscribe(key, 'https://hooks.example.com/b', { consumerId: 'acme' })];
      const own = await subscribe(key, 'https://hooks.example.com/own', {});
      const read = await pipeline.call('GET', '/v1/consumers/acme', { key });
      const listed = await pipeline.call('GET', '/v1/consumers', { key });
      const itsSubscriptions = await pipeline.call('GET', '/v1/consumers/acme/subscriptions', { key });
      const tenantsOwn = await pipeline.call('GET', '/v1/subscriptions', { key });
      const oneById = await pipeline.call('GET', `/v1/subscriptions/${subscriptionIds[0]}`, { key });
      const patched = await pipeline.call('PATCH', `/v1/subscriptions/${subscriptionIds[0]}`, { key, body: { description: 'changed' } });
      const deleted = await pipeline.call('DELETE', '/v1/consumers/acme', { key });
      const afterDelete = await pipeline.call('GET', `/v1/subscriptions/${subscriptionIds[1]}`, { key });
      const deletedAgain = await pipeline.call('DELETE', '/v1/consumers/acme', { key });

      // Assess
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id: 'acme', name: 'Acme', metadata: { plan: 'pro' } });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ id: 'acme', name: 'Acme Corp', metadata: {}, createdAt: created.body.createdAt });
      expect(read.body).toEqual(changed.body);
      expect(listed.body.items).toEqual([changed.body]);
      expect(itsSubscriptions.body.items.map((s: { id: string }) => s.id)).toEqual([...subscriptionIds].sort());
      expect(itsSubscriptions.body.items[0]).toMatchObject({ consumerId: 'acme' });
      expect(tenantsOwn.body.items.map((s: { id: string }) => s.id)).toEqual([own]);
      expect(oneById.body).toMatchObject({ id: subscriptionIds[0], consumerId: 'acme' });
      expect(patched.body).toMatchObject({ id: subscriptionIds[0], consumerId: 'acme', description: 'changed' });
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({ deleted: true, subscriptionsDeleted: 2 });
      expect(afterDelete.status).toBe(404);
      expect(deletedAgain.status).toBe(404);
      expect(deletedAgain.body.error.code).toBe('consumer_not_found');
    });

    it("answers 404 consumer_not_found for another tenant's consumer, however it is reached", async () => {
      // Prepare
      const owner = await pipeline.createKey('consumers-owner');
      const other = await pipeline.createKey('consumers-other');
      await putConsumer(owner, 'acme');
      const subscriptionId = await subscribe(owner, 'https://hooks.example.com/a', { consumerId: 'acme' });

      // Act
      const answers = await Promise.all([
        pipeline.call('GET', '/v1/consumers/acme', { key: other }),
        pipeline.call('GET', '/v1/consumers/acme/subscriptions', { key: other }),
        pipeline.call('DELETE', '/v1/consumers/acme', { key: other }),
        pipeline.call('POST', '/v1/subscriptions', { key: other, body: { url: 'https://hooks.example.com/x', eventTypes: ['*'], consumerId: 'acme' } }),
        pipeline.call('POST', '/v1/consumers/acme/disable', { key: other }),
        pipeline.call('POST', '/v1/consumers/acme/enable', { key: other }),
      ]);
      const subscriptionOfAnother = await pipeline.call('GET', `/v1/subscriptions/${subscriptionId}`, { key: other });
      const listedByOther = await pipeline.call('GET', '/v1/consumers', { key: other });

      // Assess
      expect(answers.map((answer) => [answer.status, answer.body.error?.code])).toEqual(Array(6).fill([404, 'consumer_not_found']));
      expect(subscriptionOfAnother.status).toBe(404);
      expect((await pipeline.call('GET', `/v1/subscriptions/${subscriptionId}`, { key: owner })).body).toMatchObject({ enabled: true });
      expect(listedByOther.body.items).toEqual([]);
      expect((await pipeline.call('GET', '/v1/consumers/acme', { key: owner })).status).toBe(200);
    });

    it('answers 422 for consumer ids that break the rule, and for metadata over its limits', async () => {
      // Prepare
      const key = await pipeline.createKey('consumers-422');
      const tooLong = 'a'.repeat(65);
      const tooManyEntries = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));

      // Act
      const answers = await Promise.all([
        pipeline.call('PUT', `/v1/consumers/${tooLong}`, { key, body: {} }),
        pipeline.call('PUT', `/v1/consumers/${encodeURIComponent('has space')}`, { key, body: {} }),
        pipeline.call('GET', `/v1/consumers/${encodeURIComponent('a#b')}`, { key }),
        pipeline.call('POST', '/v1/subscriptions', { key, body: { url: 'https://hooks.example.com/x', eventTypes: ['*'], consumerId: 'a#b' } }),
        pipeline.call('POST', '/v1/events', { key, body: { type: 'order.created', data: {}, consumerId: '' } }),
        pipeline.call('PUT', '/v1/consumers/acme', { key, body: { metadata: tooManyEntries } }),
        pipeline.call('PUT', '/v1/consumers/acme', { key, body: { metadata: { big: 'x'.repeat(1100) } } }),
        pipeline.call('PUT', '/v1/consumers/acme', { key, body: { name: 'n'.repeat(201) } }),
      ]);

      // Assess
      expect(answers.map((answer) => [answer.status, answer.body.error?.code])).toEqual(Array(8).fill([422, 'validation_failed']));
    });

    it("publishes to one subscription of the consumer given, and answers 404 subscription_not_found for one of another owner's", async () => {
      // Prepare
      const key = await pipeline.createKey('consumers-target');
      await putConsumer(key, 'acme');
      const acmes = await subscribe(key, 'https://hooks.example.com/a', { consumerId: 'acme' });
      await subscribe(key, 'https://hooks.example.com/b', { consumerId: 'acme' });
      const own = await subscribe(key, 'https://hooks.example.com/own', {});

      // Act
      const toAcmes = await publish(key, { consumerId: 'acme', subscriptionId: acmes });
      const toOwn = await publish(key, { subscriptionId: own });
      const refused = await Promise.all([
        pipeline.call('POST', '/v1/events', { key, body: { type: 'order.created', data: {}, subscriptionId: acmes } }),
        pipeline.call('POST', '/v1/events', { key, body: { type: 'order.created', data: {}, consumerId: 'acme', subscriptionId: own } }),
        pipeline.call('POST', '/v1/events', { key, body: { type: 'order.created', data: {}, consumerId: 'acme', subscriptionId: 'sub_unknown' } }),
      ]);
      await pipeline.drain();

      // Assess
      expect(toAcmes.matched).toEqual({ count: 1, subscriptionIds: [acmes] });
      expect(toOwn.matched).toEqual({ count: 1, subscriptionIds: [own] });
      expect(refused.map((answer) => [answer.status, answer.body.error?.code])).toEqual(Array(3).fill([404, 'subscription_not_found']));
    });

    it('answers a repeat (same Idempotency-Key) of a publish to a subscription deleted since as it answered the first, once', async () => {
      // Prepare
      const key = await pipeline.createKey('consumers-target-repeat');
      await putConsumer(key, 'acme');
      const target = await subscribe(key, 'https://hooks.example.com/a', { consumerId: 'acme' });
      const body = { type: 'order.created', data: { orderId: 9 }, consumerId: 'acme', subscriptionId: target };
      const headers = { 'idempotency-key': 'order-9' };
      const first = await pipeline.call('POST', '/v1/events', { key, body, headers });
      const deleted = await pipeline.call('DELETE', `/v1/subscriptions/${target}`, { key });

      // Act
      const repeat = await pipeline.call('POST', '/v1/events', { key, body, headers });
      const fresh = await pipeline.call('POST', '/v1/events', { key, body, headers: { 'idempotency-key': 'order-10' } });

      // Assess
      expect([first.status, deleted.status]).toEqual([202, 204]);
      expect(repeat.status, repeat.text).toBe(202);
      expect(repeat.body).toEqual({ id: first.body.id, type: 'order.created', createdAt: first.body.createdAt });
      expect([fresh.status, fresh.body.error?.code]).toEqual([404, 'subscription_not_found']);
    });
  });

  describe('Disabling and enabling a consumer', () => {
    const subscriptionOf = async (key: string, id: string) => (await pipeline.call('GET', `/v1/subscriptions/${id}`, { key })).body;
    const switchConsumer = async (key: string, consumerId: string, action: 'disable' | 'enable') => {
      const response = await pipeline.call('POST', `/v1/consumers/${consumerId}/${action}`, { key });
      expect(response.status, response.text).toBe(200);
      return response.body;
    };

    it("stops delivering to every subscription of the consumer for events published after it and resumes on enable, leaving those disabled otherwise, other consumers' and the tenant's own alone", async () => {
      // Prepare: acme has two healthy endpoints, one disabled by its receiver (410) and one disabled by PATCH.
      const key = await pipeline.createKey('consumers-disable');
      const receiver = await receivers.start((request) => ({ status: request.path === '/hook/gone' ? 410 : 200 }));
      await putConsumer(key, 'acme');
      await putConsumer(key, 'beta');
      const [a1, a2, patched, gone] = [
        await subscribe(key, `${receiver.url}/a1`, { consumerId: 'acme' }),
        await subscribe(key, `${receiver.url}/a2`, { consumerId: 'acme' }),
        await subscribe(key, `${receiver.url}/patched`, { consumerId: 'acme' }),
        await subscribe(key, `${receiver.url}/gone`, { consumerId: 'acme' }),
      ];
      const betas = await subscribe(key, `${receiver.url}/beta`, { consumerId: 'beta' });
      // Not webhook.*: the 410 publishes operational events to the tenant's own.
      const own = await subscribe(key, `${receiver.url}/own`, { eventTypes: ['order.*'] });
      const toGone = await publish(key, { consumerId: 'acme', subscriptionId: gone });
      await pipeline.drain({ until: () => receiver.requests.length >= 1 });
      await pipeline.drain();
      await pipeline.call('PATCH', `/v1/subscriptions/${patched}`, { key, body: { enabled: false } });
      const [betaBefore, ownBefore] = [await subscriptionOf(key, betas), await subscriptionOf(key, own)];
      const queuedBeforeDisable = await publish(key, { consumerId: 'acme' });

      // Act
      const disabled = await switchConsumer(key, 'acme', 'disable');
      const disabledAgain = await switchConsumer(key, 'acme', 'disable');
      const whileDisabled = [await publish(key, { consumerId: 'acme' }), await publish(key, { consumerId: 'beta' }), await publish(key, {})];
      await pipeline.drain({ until: () => receiver.requests.length >= 5 });
      await pipeline.drain();
      const receivedWhileDisabled = receivedPairs(receiver);
      const acmesWhileDisabled = (await pipeline.call('GET', '/v1/consumers/acme/subscriptions', { key })).body.items;
      const a1Deliveries = (await pipeline.call('GET', `/v1/subscriptions/${a1}/deliveries`, { key })).body.items;
      const enabled = await switchConsumer(key, 'acme', 'enable');
      const enabledAgain = await switchConsumer(key, 'acme', 'enable');
      const afterEnable = await publish(key, { consumerId: 'acme' });
      await pipeline.drain({ until: () => receiver.requests.length >= 7 });
      await pipeline.drain();
      const acmesAfterEnable = (await pipeline.call('GET', '/v1/consumers/acme/subscriptions', { key })).body.items;

      // Assess
      expect(toGone.matched).toEqual({ count: 1, subscriptionIds: [gone] });
      expect(queuedBeforeDisable.matched).toEqual({ count: 2, subscriptionIds: [a1, a2].sort() });
      expect(disabled).toEqual({ subscriptionsDisabled: 2, subscriptionsDisabledForOtherReasons: 2 });
      expect(disabledAgain).toEqual({ subscriptionsDisabled: 0, subscriptionsDisabledForOtherReasons: 2 });
      expect(whileDisabled[0]!.matched).toEqual({ count: 0, subscriptionIds: [] });
      // The event queued before the disable goes as it was accepted: its group carries acme's subscriptions as fan-out read them.
      expect(receivedWhileDisabled).toEqual(
        [
          `${toGone.id} /hook/gone`,
          `${queuedBeforeDisable.id} /hook/a1`,
          `${queuedBeforeDisable.id} /hook/a2`,
          `${whileDisabled[1]!.id} /hook/beta`,
          `${whileDisabled[2]!.id} /hook/own`,
        ].sort(),
      );
      const reasons = (items: { id: string; enabled: boolean; disabledReason?: string }[]) =>
        Object.fromEntries(items.map((s) => [s.id, s.enabled ? 'enabled' : s.disabledReason]));
      expect(reasons(acmesWhileDisabled)).toEqual({ [a1]: 'consumer_disabled', [a2]: 'consumer_disabled', [patched]: 'disabled_by_user', [gone]: 'endpoint_gone' });
      expect(acmesWhileDisabled.find((s: { id: string }) => s.id === a1).disabledAt).toEqual(expect.any(String));
      expect(a1Deliveries.map((d: { eventId: string; status: string }) => [d.eventId, d.status])).toEqual([[queuedBeforeDisable.id, 'delivered']]);
      expect(enabled).toEqual({ subscriptionsEnabled: 2, subscriptionsDisabledForOtherReasons: 2 });
      expect(enabledAgain).toEqual({ subscriptionsEnabled: 0, subscriptionsDisabledForOtherReasons: 2 });
      expect(afterEnable.matched).toEqual({ count: 2, subscriptionIds: [a1, a2].sort() });
      expect(receivedPairs(receiver)).toEqual([...receivedWhileDisabled, `${afterEnable.id} /hook/a1`, `${afterEnable.id} /hook/a2`].sort());
      expect(reasons(acmesAfterEnable)).toEqual({ [a1]: 'enabled', [a2]: 'enabled', [patched]: 'disabled_by_user', [gone]: 'endpoint_gone' });
      expect(acmesAfterEnable.find((s: { id: string }) => s.id === a1).disabledAt).toBeUndefined();
      expect([await subscriptionOf(key, betas), await subscriptionOf(key, own)]).toEqual([betaBefore, ownBefore]);
    });

    it('disables and enables every subscription of a consumer with more than one page of them', async () => {
      // Prepare
      const key = await pipeline.createKey('consumers-disable-pages');
      await putConsumer(key, 'acme');
      const count = CONSUMER_SWITCH_PAGE + 5;
      for (let i = 0; i < count; i++) await subscribe(key, `https://hooks.example.com/${i}`, { consumerId: 'acme' });
      const enabledFlags = async () => (await pipeline.call('GET', '/v1/consumers/acme/subscriptions?limit=100', { key })).body.items.map((s: { enabled: boolean }) => s.enabled);

      // Act
      const disabled = await switchConsumer(key, 'acme', 'disable');
      const whileDisabled = await enabledFlags();
      const enabled = await switchConsumer(key, 'acme', 'enable');
      const afterEnable = await enabledFlags();

      // Assess
      expect(disabled).toEqual({ subscriptionsDisabled: count, subscriptionsDisabledForOtherReasons: 0 });
      expect(whileDisabled).toEqual(Array(count).fill(false));
      expect(enabled).toEqual({ subscriptionsEnabled: count, subscriptionsDisabledForOtherReasons: 0 });
      expect(afterEnable).toEqual(Array(count).fill(true));
    });

    it('answers 200 with nothing to count for a consumer without subscriptions, and 422 for a consumer id that breaks the rule', async () => {
      // Prepare
      const key = await pipeline.createKey('consumers-disable-empty');
      await putConsumer(key, 'empty');

      // Act
      const disabled = await switchConsumer(key, 'empty', 'disable');
      const refused = await pipeline.call('POST', `/v1/consumers/${encodeURIComponent('a#b')}/disable`, { key });

      // Assess
      expect(disabled).toEqual({ subscriptionsDisabled: 0, subscriptionsDisabledForOtherReasons: 0 });
      expect([refused.status, refused.body.error?.code]).toEqual([422, 'validation_failed']);
    });
  });

  describe('Routing through the pipeline', () => {
    it("delivers customer A's event to A's endpoints only (never B's nor the tenant's own), and a tenant event to the tenant's own only", async () => {
      // Prepare
      const key = await pipeline.createKey('consumers-routing');
      const receiver = await receivers.start();
      await putConsumer(key, 'customer-a');
      await putConsumer(key, 'customer-b');
      const a = await subscribe(key, `${receiver.url}/a`, { consumerId: 'customer-a' });
      await subscribe(key, `${receiver.url}/b`, { consumerId: 'customer-b' });
      const own = await subscribe(key, `${receiver.url}/own`, {});

      // Act
      const toA = await publish(key, { consumerId: 'customer-a' });
      const toTenant = await publish(key, {});
      await pipeline.drain({ until: () => receiver.requests.length >= 2 });
      await pipeline.drain();

      // Assess
      expect(toA.matched).toEqual({ count: 1, subscriptionIds: [a] });
      expect(toTenant.matched).toEqual({ count: 1, subscriptionIds: [own] });
      expect(receivedPairs(receiver)).toEqual([`${toA.id} /hook/a`, `${toTenant.id} /hook/own`].sort());
      const event = await pipeline.call('GET', `/v1/events/${toA.id}`, { key });
      expect(event.body).toMatchObject({ consumerId: 'customer-a', deliveries: { delivered: 1, complete: true } });
      const replay = await pipeline.call('POST', `/v1/events/${toA.id}/replay`, { key });
      await pipeline.drain({ until: () => receiver.requests.length >= 3 });
      await pipeline.drain();
      expect(replay.status).toBe(202);
      expect(receiver.requests.map((request) => request.path).sort()).toEqual(['/hook/a', '/hook/a', '/hook/own']);
    });

    it('delivers every random event (to an owner, or broadcast) to exactly the subscriptions a reference model of owners, types and filters names', async () => {
      const receiver = await receivers.start();
      const owners = ['tenant', 'c0', 'c1', 'c2'] as const;
      const types = ['order.created', 'order.paid', 'refund.created'] as const;
      const typeFilters = [['*'], ['order.*'], ['order.created'], ['refund.*', 'order.paid']] as const;
      const filters = ['none', 'n=1', 'consumer=c1'] as const;
      type Filter = (typeof filters)[number];
      const subscriptionArb = fc.record({ owner: fc.constantFrom(...owners), eventTypes: fc.constantFrom(...typeFilters), filter: fc.constantFrom(...filters) });
      // A broadcast reaches every owner, each consumer's subscriptions seeing their own consumer's id.
      const eventArb = fc.record({ owner: fc.constantFrom(...owners, 'broadcast'), type: fc.constantFrom(...types), n: fc.constantFrom(0, 1) });
      const routingOf = (owner: string) => (owner === 'tenant' ? {} : owner === 'broadcast' ? { broadcast: true } : { consumerId: owner });

      const typeMatches = (filter: string, type: string) => filter === '*' || filter === type || (filter.endsWith('.*') && type.startsWith(filter.slice(0, -1)));
      const filterMatches = (filter: Filter, owner: string, n: number) =>
        filter === 'none' || (filter === 'n=1' && n === 1) || (filter === 'consumer=c1' && owner === 'c1');
      const patternOf = (filter: Filter) =>
        filter === 'none' ? {} : filter === 'n=1' ? { filter: { data: { n: [1] } } } : { filter: { consumerId: ['c1'] } };

      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(subscriptionArb, { minLength: 1, maxLength: 6 }), fc.array(eventArb, { minLength: 1, maxLength: 5 }), async (subscriptions, events) => {
          // Prepare: a tenant of its own per run, its consumers, its subscriptions (each at a path of its own).
          const key = await pipeline.createKey(`consumers-model-${run++}`);
          for (const consumer of owners.slice(1)) await putConsumer(key, consumer);
          const paths: string[] = [];
          for (const [i, s] of subscriptions.entries()) {
            paths.push(`/hook/${run}-${i}`);
            await subscribe(key, `${receiver.url}/${run}-${i}`, { eventTypes: s.eventTypes, ...(s.owner === 'tenant' ? {} : { consumerId: s.owner }), ...patternOf(s.filter) });
          }

          // Act
          const expected: string[] = [];
          const eventIds: string[] = [];
          for (const event of events) {
            const { id } = await publish(key, { type: event.type, data: { n: event.n }, ...routingOf(event.owner) });
            eventIds.push(id);
            subscriptions.forEach((s, i) => {
              const reached = event.owner === 'broadcast' || s.owner === event.owner;
              if (reached && s.eventTypes.some((f) => typeMatches(f, event.type)) && filterMatches(s.filter, s.owner, event.n)) {
                expected.push(`${id} ${paths[i]}`);
              }
            });
          }
          const ours = () => receivedPairs(receiver).filter((pair) => eventIds.includes(pair.split(' ')[0]!));
          await pipeline.drain({ until: () => ours().length >= expected.length });
          await pipeline.drain();

          // Assess
          expect(ours()).toEqual(expected.sort());
        }),
        { numRuns: 6, seed: 20260301 },
      );
    });
  });
});
