import { deliveryMessage, type DeliveryGroupMessage, type DeliveryMessage } from '../core/messages';
import { expiresAfterDays, ownerOf, type GroupDelivery } from '../core/model';
import type { DelayedDeliveryPublisher, DeliveryGroupStore, EventStore } from '../core/ports';
import type { SnapshotKeySource } from '../pipeline/snapshot-keys';
import { waitForCircuit, type DeliverDeps, type Decision, type Receipt } from './deliver';
import { openGroupSnapshot } from './group-snapshot';

/** What a group needs beyond what each of its deliveries needs. */
export interface DeliverGroupDeps extends DeliverDeps {
  groups: DeliveryGroupStore;
  /** Where deliveries that need another attempt go, one message each. */
  splitOuts: DelayedDeliveryPublisher;
  /** Opens the subscriptions a group carries sealed; without it they are read. */
  snapshotKeys?: SnapshotKeySource;
}

/** Delivers one subscription's message with the receipt and deps it is given (the handler's `deliver`, measured). */
export type DeliverOne = (message: DeliveryMessage, receipt: Receipt, deps: DeliverDeps) => Promise<Decision>;

/**
 * Told of a group that waits whole on open circuits, decided without `DeliverOne`: each delivery's
 * deferral, in the group's order, to log once for the group and measure each.
 */
export type ObserveWaitingGroup = (messages: DeliveryMessage[], decisions: Decision[]) => void;

export class GroupIncompleteError extends Error {
  override name = 'GroupIncompleteError';
}

/**
 * One group message: every subscription of the group is delivered concurrently, each by the same
 * rules as a single delivery. The first attempts that succeed are logged together in one item for
 * the group; everything else (a failure, a skip, an exhaustion) keeps a delivery record of its own,
 * and a delivery that needs another attempt leaves the group as a message of its own, hidden until
 * the attempt is due (up to SQS's 15 minutes; a later one is hidden further when it arrives).
 *
 * If any delivery could not be settled the group is thrown back whole. Its next receive skips
 * the subscriptions the group log already holds and follows the records the others left, so a
 * subscription is attempted again only if its outcome was never recorded.
 */
export const deliverGroup = async (
  group: DeliveryGroupMessage,
  receipt: Receipt,
  deps: DeliverGroupDeps,
  deliverOne: DeliverOne,
  observeWaiting: ObserveWaitingGroup = () => undefined,
): Promise<{ decisions: Decision[]; retryGroupInSeconds?: number }> => {
  // The subscriptions as fan-out read them, when the group carries them: as good as a read made then.
  const snapshot = deps.snapshotKeys === undefined ? undefined : await openGroupSnapshot(group, deps.snapshotKeys);
  if (snapshot !== undefined) deps.subscriptions.seed?.(snapshot.subscriptions, Math.min(snapshot.fetchedAt, deps.now()));
  const payload = { ...(group.hasData ? { dataJson: group.dataJson } : {}), hasData: group.hasData };
  const messageOf = (subscription: { id: string; version: number }) => deliveryMessage(group, payload, subscription);

  if (receipt.receiveCount > 1) {
    const waiting = await waitingOnOpenCircuits(group, receipt, deps);
    if (waiting !== undefined) {
      observeWaiting(group.subscriptions.map(messageOf), waiting);
      return { decisions: waiting, retryGroupInSeconds: Math.min(...waiting.map(visibilityOf)) };
    }
  }

  const firstSubscriptionId = group.subscriptions[0]!.id;
  const logged =
    receipt.receiveCount > 1 ? ((await deps.groups.getGroup(group.tenantId, group.eventId, firstSubscriptionId))?.delivered ?? {}) : {};
  const pending = group.subscriptions.filter((subscription) => logged[subscription.id] === undefined);
  // The group's subscriptions are one owner's: read together, not one request each.
  deps.subscriptions.prefetch?.(ownerOf(group), pending);
  const each: DeliverDeps = { ...deps, events: readingEachEventOnce(deps.events) };
  const messages = pending.map(messageOf);
  const settled = await Promise.allSettled(messages.map((message) => deliverOne(message, { ...receipt, inGroup: true }, each)));

  // The first attempts that delivered are logged together, in the group's item.
  const delivered: Record<string, GroupDelivery> = {};
  settled.forEach((result, index) => {
    if (result.status !== 'fulfilled' || result.value.action !== 'done' || !result.value.loggedWithGroup) return;
    const attempt = result.value.attempt!;
    delivered[messages[index]!.subscriptionId] = { at: attempt.at, statusCode: attempt.statusCode ?? 0, durationMs: attempt.durationMs };
  });

  const decisions: Decision[] = [];
  // Every delivery still to make waited without an attempt (its endpoint's circuit is open, it is
  // busy, over its rate limit...): nothing was recorded, so the group comes back whole, one message
  // rather than one per delivery, when the first of them may go.
  const waits = settled.map((result) => (result.status === 'fulfilled' && result.value.action === 'retry_later' && result.value.deferred !== undefined ? result.value.visibilitySeconds : undefined));
  if (messages.length > 0 && waits.every((wait) => wait !== undefined) && Object.keys(delivered).length === 0) {
    return { decisions: settled.map((result) => (result as PromiseFulfilledResult<Decision>).value), retryGroupInSeconds: Math.min(...(waits as number[])) };
  }
  const splitOuts: { message: DeliveryMessage; delaySeconds: number }[] = [];
  settled.forEach((result, index) => {
    if (result.status === 'rejected') return;
    decisions.push(result.value);
    if (result.value.action === 'retry_later') {
      const message = messages[index]!;
      // A deferral recorded nothing; every other wait follows a delivery record.
      splitOuts.push({
        message: result.value.deferred === undefined ? { ...message, followsAttempt: true } : message,
        delaySeconds: result.value.visibilitySeconds,
      });
    }
  });

  if (Object.keys(delivered).length > 0) {
    await deps.groups.recordGroup({
      tenantId: group.tenantId,
      eventId: group.eventId,
      eventType: group.eventType,
      firstSubscriptionId,
      delivered,
      expiresAt: expiresAfterDays(deps.now(), deps.deliveryLogRetentionDays),
    });
  }
  if (splitOuts.length > 0) await deps.splitOuts.publishDelayed(splitOuts);

  const failures = settled.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failures.length > 0) {
    throw new GroupIncompleteError(`${failures.length} of ${messages.length} deliveries of the group failed`, {
      cause: failures[0]!.reason,
    });
  }
  return { decisions };
};

const visibilityOf = (decision: Decision): number => (decision.action === 'retry_later' ? decision.visibilitySeconds : 0);

/**
 * A group back on the queue while the circuit of every one of its endpoints is open: each
 * delivery's deferral, decided as `deliver` decides it, before the group's log or any record is
 * read (none of them could be attempted now, so what the log holds changes nothing). Undefined
 * when any endpoint may be called, or its subscription is disabled or gone.
 */
const waitingOnOpenCircuits = async (group: DeliveryGroupMessage, receipt: Receipt, deps: DeliverGroupDeps): Promise<Decision[] | undefined> => {
  deps.subscriptions.prefetch?.(ownerOf(group), group.subscriptions);
  const subscriptions = await Promise.all(group.subscriptions.map((wanted) => deps.subscriptions.get(group, wanted.id, wanted.version)));
  const nowMs = deps.now();
  const waits: Decision[] = [];
  for (const subscription of subscriptions) {
    if (subscription === undefined || !subscription.enabled) return undefined;
    const wait = waitForCircuit(subscription, receipt, deps, nowMs);
    if (wait === undefined) return undefined;
    waits.push(wait);
  }
  return waits;
};

/** A group's deliveries share one event: a payload too large to ride along is read once for all. */
const readingEachEventOnce = (events: EventStore): EventStore => {
  const reads = new Map<string, ReturnType<EventStore['getEvent']>>();
  return {
    ...events,
    getEvent: (tenantId, eventId) => {
      const key = `${tenantId}\u0000${eventId}`;
      let read = reads.get(key);
      if (read === undefined) {
        read = events.getEvent(tenantId, eventId);
        reads.set(key, read);
      }
      return read;
    },
  };
};
