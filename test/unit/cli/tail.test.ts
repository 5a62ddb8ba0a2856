import { describe, expect, it } from 'vitest';
import type { ApiCall, ApiRequest } from '../../../cli/api-client';
import { followDeliveries, LOOKBACK_MS } from '../../../cli/tail';
import type { Delivery } from '../../../cli/views';
import { idBoundary } from '../../../lambdas/core/ids';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const eventAt = (ms: number) => idBoundary('evt', ms, 'lowest').replace(/0{16}$/, '0000000000000001');
const record = (subscriptionId: string, eventId: string, status: Delivery['status'], attempts: number): Delivery => ({
  eventId,
  subscriptionId,
  eventType: 'order.created',
  status,
  attempts,
  attemptLog: [],
  createdAt: '2026-03-01T12:00:00.000Z',
  updatedAt: `2026-03-01T12:00:0${attempts}.000Z`,
});

/** An API whose answers the test scripts per poll; it records every request. */
const scriptedApi = (pollAnswers: Delivery[][]) => {
  const requests: ApiRequest[] = [];
  let poll = -1;
  const api = (async (request: ApiRequest) => {
    requests.push(request);
    if (request.path === '/v1/subscriptions') {
      poll += 1;
      return { items: [{ id: 'sub_a' }] };
    }
    return { items: pollAnswers[Math.min(poll, pollAnswers.length - 1)] ?? [] };
  }) as ApiCall;
  return { api, requests };
};

describe('Function: followDeliveries', () => {
  it('yields a delivery when it appears and when it changes, not when it stays the same', async () => {
    // Prepare
    const event = eventAt(T0);
    const { api } = scriptedApi([[record('sub_a', event, 'retrying', 1)], [record('sub_a', event, 'retrying', 1)], [record('sub_a', event, 'delivered', 2)]]);
    const stop = new AbortController();
    const seen: string[] = [];

    // Act
    for await (const delivery of followDeliveries(api, { since: T0, intervalMs: 1, signal: stop.signal, now: () => T0 })) {
      seen.push(`${delivery.status} ${delivery.attempts}`);
      if (seen.length === 2) stop.abort();
    }

    // Assess
    expect(seen).toEqual(['retrying 1', 'delivered 2']);
  });

  it('reads from the oldest delivery in flight, or a few minutes back once all are settled', async () => {
    // Prepare
    const old = eventAt(T0 - 60 * 60_000);
    const now = T0 + 60 * 60_000;
    const { api, requests } = scriptedApi([[record('sub_a', old, 'retrying', 1)], [record('sub_a', old, 'delivered', 2)], []]);
    const stop = new AbortController();
    let polls = 0;
    const since = () => requests.filter((r) => r.path.endsWith('/deliveries')).map((r) => Date.parse(r.query!.since!));

    // Act
    for await (const _ of followDeliveries(api, { since: T0 - 2 * 60 * 60_000, intervalMs: 1, signal: stop.signal, now: () => now })) {
      polls += 1;
      if (polls === 2) setTimeout(() => stop.abort(), 20);
    }

    // Assess: the first read starts at --since, the next at the retrying event, then a lookback from now.
    const windows = since();
    expect(windows[0]).toBe(T0 - 2 * 60 * 60_000);
    expect(windows[1]).toBe(T0 - 60 * 60_000);
    expect(windows.at(-1)).toBe(now - LOOKBACK_MS);
  });

  it('stops at once when aborted during a request, without an error', async () => {
    // Prepare
    const stop = new AbortController();
    const api = (async (request: ApiRequest) =>
      new Promise((_, reject) => request.signal?.addEventListener('abort', () => reject(new Error('aborted'))))) as ApiCall;

    // Act
    const started = followDeliveries(api, { since: T0, intervalMs: 60_000, signal: stop.signal }).next();
    stop.abort();

    // Assess
    expect(await started).toEqual({ done: true, value: undefined });
  });
});
