import { describe, expect, it } from 'vitest';
import { settingDefault } from '../../../lambdas/core/settings';
import type { DeliveryGroupMessage } from '../../../lambdas/core/messages';
import type { Subscription } from '../../../lambdas/core/model';
import type { AttemptResult } from '../../../lambdas/core/outcome';
import type { WebhookRequest, WebhookSender } from '../../../lambdas/core/ports';
import { deliver, type Decision } from '../../../lambdas/delivery/deliver';
import { deliverGroup, GroupIncompleteError, type DeliverGroupDeps } from '../../../lambdas/delivery/deliver-group';
import {
  aDeliveryGroupLog,
  aDeliveryGroupMessage,
  aDeliveryRecord,
  aGroupDelivery,
  aSubscription,
  EVENT_ID,
  NOW,
  response,
  subscriptionIdOf,
  TENANT,
} from '../../kit/builders';
import {
  deliverDeps,
  InMemoryDeliveryGroupStore,
  InMemoryDeliveryStore,
  InMemoryEventStore,
  InMemorySubscriptionStore,
  RecordingDelayedPublisher,
} from '../../kit/fakes';
import { expectBetween } from '../../kit/expectations';

const SCHEDULE = settingDefault('retrySchedule');
const RANDOM = 0.25;
const urlOf = (n: number) => `https://receiver-${n}.example.com/hooks`;

/** Answers by URL, so concurrent sends get their own script whatever order they start in. */
class ByUrlSender implements WebhookSender {
  readonly requests: WebhookRequest[] = [];
  constructor(private readonly answers: Map<string, AttemptResult | Error>) {}

  async send(request: WebhookRequest): Promise<AttemptResult> {
    this.requests.push(request);
    const answer = this.answers.get(request.url) ?? response(200);
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

const setUp = (options: { count: number; answers?: Map<string, AttemptResult | Error>; subscription?: (n: number) => Partial<Subscription> }) => {
  const subscriptions = new InMemorySubscriptionStore(
    Array.from({ length: options.count }, (_, i) =>
      aSubscription({ tenantId: TENANT, id: subscriptionIdOf(i + 1), url: urlOf(i + 1), ...options.subscription?.(i + 1) }),
    ),
  );
  const deliveries = new InMemoryDeliveryStore();
  const groups = new InMemoryDeliveryGroupStore();
  const events = new InMemoryEventStore();
  const splitOuts = new RecordingDelayedPublisher();
  const sender = new ByUrlSender(options.answers ?? new Map());
  const deps = deliverDeps({ subscriptions, deliveries, events, sender }, { retrySchedule: SCHEDULE, random: () => RANDOM });
  const groupDeps: DeliverGroupDeps = { ...deps, groups, splitOuts };
  /** Each group that waited whole, as the subscriptions and decisions it was observed with. */
  const observed: Array<Array<{ subscriptionId: string; decision: Decision }>> = [];
  const run = (group: DeliveryGroupMessage, receiveCount = 1) =>
    deliverGroup(group, { receiveCount, receivedAt: NOW }, groupDeps, deliver, (messages, decisions) =>
      observed.push(messages.map((message, index) => ({ subscriptionId: message.subscriptionId, decision: decisions[index]! }))),
    );
  const groupLog = () => groups.logs.get(`${TENANT}#${EVENT_ID}#${subscriptionIdOf(1)}`);
  return { run, deliveries, groups, events, splitOuts, sender, groupLog, subscriptions, observed };
};

describe('Function: deliverGroup', () => {
  it('delivers every subscription of the group and logs the successes in one group write, with no record of their own', async () => {
    // Prepare
    const { run, deliveries, groups, splitOuts, sender, groupLog } = setUp({ count: 3 });

    // Act
    const { decisions } = await run(aDeliveryGroupMessage(3));

    // Assess
    expect(decisions.map((d) => d.action === 'done' && d.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(sender.requests.map((r) => r.url).sort()).toEqual([urlOf(1), urlOf(2), urlOf(3)]);
    expect(new Set(sender.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([EVENT_ID]));
    expect(groups.calls.recordGroup).toBe(1);
    expect(Object.keys(groupLog()!.delivered).sort()).toEqual([subscriptionIdOf(1), subscriptionIdOf(2), subscriptionIdOf(3)]);
    expect(groupLog()).toMatchObject({ eventType: 'order.created', expiresAt: Math.floor(NOW / 1000) + 30 * 86400 });
    expect(groupLog()!.delivered[subscriptionIdOf(2)]).toEqual({ at: new Date(NOW).toISOString(), statusCode: 200, durationMs: 12 });
    expect(deliveries.calls.recordAttempt).toBe(0);
    expect(groups.calls.getGroup).toBe(0);
    expect(splitOuts.sent).toEqual([]);
  });

  it('gives a failed delivery a record of its own and splits it out, hidden until its retry is due', async () => {
    // Prepare
    const { run, deliveries, splitOuts, groupLog } = setUp({ count: 3, answers: new Map([[urlOf(2), response(500)]]) });

    // Act
    await run(aDeliveryGroupMessage(3));

    // Assess
    expect(Object.keys(groupLog()!.delivered).sort()).toEqual([subscriptionIdOf(1), subscriptionIdOf(3)]);
    expect(deliveries.stored(TENANT, subscriptionIdOf(2), EVENT_ID)).toMatchObject({ status: 'retrying', attempts: 1 });
    expect(splitOuts.sent).toEqual([
      {
        message: expect.objectContaining({ subscriptionId: subscriptionIdOf(2), subscriptionVersion: 1, eventId: EVENT_ID, run: EVENT_ID, followsAttempt: true, dataJson: '{"orderId":42}' }),
        delaySeconds: expect.any(Number),
      },
    ]);
    // The default schedule's first step, 5 s +-20%
    expectBetween(splitOuts.sent[0]!.delaySeconds, 4, 6);
  });

  it('writes nothing to the group log when nothing was delivered, and records skips on their own', async () => {
    // Prepare: every subscription disabled
    const { run, deliveries, groups, splitOuts } = setUp({ count: 2, subscription: () => ({ enabled: false }) });

    // Act
    await run(aDeliveryGroupMessage(2));

    // Assess
    expect(groups.calls.recordGroup).toBe(0);
    expect(deliveries.stored(TENANT, subscriptionIdOf(1), EVENT_ID)).toMatchObject({ status: 'skipped', attempts: 0 });
    expect(splitOuts.sent).toEqual([]);
  });

  it('keeps a group whose every delivery waited without an attempt whole: one message comes back, not one per delivery', async () => {
    // Prepare: a limit of 1 per second, used up already
    const { run, deliveries, splitOuts } = setUp({ count: 1, subscription: () => ({ rateLimitPerSecond: 1 }) });
    await run(aDeliveryGroupMessage(1));

    // Act
    const result = await run(aDeliveryGroupMessage(1, { eventId: 'evt_01JNKQ0000000000000000000B', run: 'evt_01JNKQ0000000000000000000B' }));

    // Assess
    expect(result.retryGroupInSeconds).toBeGreaterThanOrEqual(1);
    expect(splitOuts.sent).toHaveLength(0);
    expect(deliveries.calls.recordAttempt).toBe(0);
  });

  it('splits a delivery that waited without an attempt out without a record when others of the group were delivered', async () => {
    // Prepare: subscription 2 has a limit of 1 per second, used up already by another event
    const { run, deliveries, splitOuts } = setUp({ count: 2, subscription: (n) => (n === 2 ? { rateLimitPerSecond: 1 } : {}) });
    await run(aDeliveryGroupMessage(2, { eventId: 'evt_01JNKQ0000000000000000000C', run: 'evt_01JNKQ0000000000000000000C' }));
    splitOuts.sent.length = 0;

    // Act
    const result = await run(aDeliveryGroupMessage(2));

    // Assess
    expect(result.retryGroupInSeconds).toBeUndefined();
    expect(splitOuts.sent).toHaveLength(1);
    expect(splitOuts.sent[0]!.message).toMatchObject({ subscriptionId: subscriptionIdOf(2) });
    expect(splitOuts.sent[0]!.message).not.toHaveProperty('followsAttempt');
    expect(deliveries.calls.recordAttempt).toBe(0);
  });

  it('on a later receive, skips what the group log holds, re-splits a retry recorded before, and attempts the rest', async () => {
    // Prepare: subscription 1 was delivered and logged, 2 failed and was recorded, 3 was never settled
    const { run, deliveries, groups, splitOuts, sender } = setUp({ count: 3 });
    await groups.recordGroup(
      aDeliveryGroupLog([subscriptionIdOf(1)], {
        delivered: { [subscriptionIdOf(1)]: aGroupDelivery({ at: new Date(NOW - 1000).toISOString(), durationMs: 5 }) },
        expiresAt: 0,
      }),
    );
    deliveries.seed(aDeliveryRecord({ subscriptionId: subscriptionIdOf(2), nextAttemptAt: new Date(NOW + 60_000).toISOString() }));

    // Act
    await run(aDeliveryGroupMessage(3), 2);

    // Assess
    expect(sender.requests.map((r) => r.url)).toEqual([urlOf(3)]);
    expect(splitOuts.sent.map((s) => [s.message.subscriptionId, s.message.followsAttempt])).toEqual([[subscriptionIdOf(2), true]]);
    expect(splitOuts.sent[0]!.delaySeconds).toBeGreaterThanOrEqual(59);
    expect(Object.keys((await groups.getGroup(TENANT, EVENT_ID, subscriptionIdOf(1)))!.delivered).sort()).toEqual([subscriptionIdOf(1), subscriptionIdOf(3)]);
  });

  it('on a later receive with every circuit open, waits whole again without reading its log, its deferrals observed together', async () => {
    // Prepare: both endpoints' circuits opened a second ago, their next probes 4 and 9 s away
    const openCircuit = (n: number): Partial<Subscription> => ({
      circuitOpenedAt: new Date(NOW - 1000).toISOString(),
      circuitNextProbeAt: new Date(NOW + (n === 1 ? 4_000 : 9_000)).toISOString(),
      circuitProbeSeconds: 5,
      circuitFailures: 5,
    });
    const { run, groups, sender, splitOuts, observed } = setUp({ count: 2, subscription: openCircuit });

    // Act
    const { retryGroupInSeconds, decisions } = await run(aDeliveryGroupMessage(2), 2);

    // Assess
    expect(groups.calls.getGroup).toBe(0);
    expect(sender.requests).toEqual([]);
    expect(splitOuts.sent).toEqual([]);
    expect(decisions.map((d) => d.action === 'retry_later' && d.deferred)).toEqual(['circuit_open', 'circuit_open']);
    expect(observed.map((group) => group.map((o) => [o.subscriptionId, o.decision]))).toEqual([
      [
        [subscriptionIdOf(1), decisions[0]],
        [subscriptionIdOf(2), decisions[1]],
      ],
    ]);
    // The first probe is due in 4 s, spread by up to one 5 s interval (RANDOM 0.25): 5.25 s
    expect(retryGroupInSeconds).toBe(Math.min(...decisions.map((d) => (d.action === 'retry_later' ? d.visibilitySeconds : Infinity))));
    expect(retryGroupInSeconds).toBeGreaterThanOrEqual(5);
    expect(retryGroupInSeconds).toBeLessThanOrEqual(6);
  });

  it('on a later receive with one circuit closed, reads its log and delivers as usual', async () => {
    // Prepare: subscription 1's circuit is open, 2's closed
    const { run, groups, sender } = setUp({
      count: 2,
      subscription: (n) =>
        n === 1 ? { circuitOpenedAt: new Date(NOW - 1000).toISOString(), circuitNextProbeAt: new Date(NOW + 4_000).toISOString(), circuitProbeSeconds: 5 } : {},
    });

    // Act
    await run(aDeliveryGroupMessage(2), 2);

    // Assess
    expect(groups.calls.getGroup).toBe(1);
    expect(sender.requests.map((r) => r.url)).toEqual([urlOf(2)]);
  });

  it('logs what it settled and throws the group back when a delivery could not be settled', async () => {
    // Prepare: the send to subscription 2 throws (a bug or an outage, not an HTTP outcome)
    const { run, splitOuts, groupLog } = setUp({ count: 3, answers: new Map<string, AttemptResult | Error>([[urlOf(2), new Error('boom')]]) });

    // Act
    const attempt = run(aDeliveryGroupMessage(3));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(GroupIncompleteError);
    expect(Object.keys(groupLog()!.delivered).sort()).toEqual([subscriptionIdOf(1), subscriptionIdOf(3)]);
    expect(splitOuts.sent).toEqual([]);
  });

  it('reads a payload too large to ride along once for the whole group', async () => {
    // Prepare
    const { run, events, sender } = setUp({ count: 3 });
    await events.putEvent({ tenantId: TENANT, id: EVENT_ID, type: 'order.created', dataJson: '{"big":true}', createdAt: '2026-03-01T11:59:59.000Z', expiresAt: 0 });
    events.calls.getEvent = 0;

    // Act
    await run(aDeliveryGroupMessage(3, { hasData: false, dataJson: undefined }));

    // Assess
    expect(events.calls.getEvent).toBe(1);
    expect(sender.requests.map((r) => JSON.parse(r.body).data)).toEqual([{ big: true }, { big: true }, { big: true }]);
  });
});
