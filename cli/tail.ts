import { idTime } from '../lambdas/core/ids';
import { allPages, subscriptionPath, type ApiCall } from './api-client';
import type { Delivery } from './views';

/** Statuses a delivery leaves only through a replay or a recovery. */
const SETTLED = new Set(['delivered', 'exhausted', 'skipped']);

/**
 * How far back each poll looks beyond the oldest unsettled delivery: fan-out writes a delivery's
 * record a moment after the event was accepted, so a window that started at the newest settled
 * event would miss records still on their way.
 */
export const LOOKBACK_MS = 5 * 60_000;

export interface FollowOptions {
  /** Only these subscriptions; by default every subscription of the key's tenant, listed again each poll. */
  subscriptionIds?: string[];
  /** Deliveries of events accepted from this time (ms). */
  since: number;
  intervalMs: number;
  signal?: AbortSignal;
  now?: () => number;
}

/**
 * Follows delivery records as they change, by polling each subscription's deliveries: yields a
 * record when it first appears and whenever its status or attempt count changes. Each poll reads
 * only the window from the oldest delivery still in flight (or a few minutes back), so its cost
 * stays flat however long it runs.
 */
export async function* followDeliveries(api: ApiCall, options: FollowOptions): AsyncGenerator<Delivery> {
  const now = options.now ?? Date.now;
  const seen = new Map<string, string>();
  const windowStart = new Map<string, number>();
  const stopped = () => options.signal?.aborted === true;
  /** A request's answer, or undefined once stopped: Ctrl-C during a request ends the tail, not in an error. */
  const unlessStopped = async <T>(request: Promise<T>): Promise<T | undefined> => {
    try {
      return await request;
    } catch (error) {
      if (stopped()) return undefined;
      throw error;
    }
  };
  while (!stopped()) {
    const subscriptionIds = options.subscriptionIds ?? (await unlessStopped(listSubscriptionIds(api, options.signal)));
    if (subscriptionIds === undefined) return;
    for (const subscriptionId of subscriptionIds) {
      if (stopped()) return;
      const from = windowStart.get(subscriptionId) ?? options.since;
      const records = await unlessStopped(deliveriesSince(api, subscriptionId, from, options.signal));
      if (records === undefined) return;
      // Oldest first, so lines come out in the order events were accepted.
      records.sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
      for (const record of records) {
        const key = `${record.subscriptionId} ${record.eventId}`;
        const fingerprint = `${record.status} ${record.attempts} ${record.updatedAt}`;
        if (seen.get(key) === fingerprint) continue;
        seen.set(key, fingerprint);
        yield record;
      }
      const unsettled = records.filter((record) => !SETTLED.has(record.status)).map((record) => idTime(record.eventId) ?? from);
      const next = Math.max(options.since, Math.min(now() - LOOKBACK_MS, ...unsettled));
      windowStart.set(subscriptionId, next);
      forgetBefore(seen, subscriptionId, next);
    }
    await pause(options.intervalMs, options.signal);
  }
}

/** Waits, or stops waiting when `signal` aborts; leaves no listener behind either way. */
const pause = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

const listSubscriptionIds = async (api: ApiCall, signal?: AbortSignal): Promise<string[]> =>
  (await allPages<{ id: string }>(api, { method: 'GET', path: '/v1/subscriptions', ...(signal === undefined ? {} : { signal }) })).map((item) => item.id);

const deliveriesSince = (api: ApiCall, subscriptionId: string, since: number, signal?: AbortSignal): Promise<Delivery[]> =>
  allPages<Delivery>(api, {
    method: 'GET',
    path: `${subscriptionPath(subscriptionId)}/deliveries`,
    query: { since: new Date(since).toISOString() },
    ...(signal === undefined ? {} : { signal }),
  });

/** Drops what a subscription's window no longer reaches, so a long tail holds little memory. */
const forgetBefore = (seen: Map<string, string>, subscriptionId: string, time: number): void => {
  for (const key of seen.keys()) {
    const [subscription, eventId] = key.split(' ');
    if (subscription === subscriptionId && (idTime(eventId ?? '') ?? 0) < time) seen.delete(key);
  }
};
