import type { DeliveryGroupMessage, DeliveryMessage, FanoutMessage, RecoverMessage } from '../../lambdas/core/messages';
import type { AttemptLog, DeliveryGroupLog, DeliveryRecord, GroupDelivery, Subscription } from '../../lambdas/core/model';
import type { AttemptResult } from '../../lambdas/core/outcome';
import type { Subscription as SubscriptionView } from '../../cli/views';

/**
 * Builders of the domain's objects for tests: each returns a valid object of one tenant, event and
 * subscription, and takes overrides for what a test is about. A message or record is of the
 * event's first run (`run` is the event id) unless the overrides say otherwise.
 */

/** The instant the builders' timestamps are set around: an event accepted a second before it. */
export const NOW = Date.parse('2026-03-01T12:00:00.000Z');
export const TENANT = 'tenant-1';
export const EVENT_ID = 'evt_01JNKQ0000000000000000000A';
export const SUBSCRIPTION_ID = 'sub_01HZZZZZZZZZZZZZZZZZZZZZZZ';
const CREATED_AT = '2026-03-01T11:59:59.000Z';
/** Thirty days after NOW, the default retention. */
const EXPIRES_AT = Math.floor(NOW / 1000) + 30 * 86400;

/** The n-th of a tenant's subscription ids, in ascending order (n below 100). */
export const subscriptionIdOf = (n: number): string => `sub_01JNKQ000000000000000000${String(n).padStart(2, '0')}`;

export const aSubscription = (overrides: Partial<Subscription> = {}): Subscription => ({
  tenantId: TENANT,
  id: SUBSCRIPTION_ID,
  url: 'https://receiver.example.com/hooks',
  eventTypes: ['order.*'],
  headers: {},
  enabled: true,
  secrets: { current: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

/** What every message of an event's run carries, the data inline. */
const anEnvelope = (eventId: string) => ({
  v: 1 as const,
  tenantId: TENANT,
  eventId,
  eventType: 'order.created',
  createdAt: CREATED_AT,
  run: eventId,
  dataJson: '{"orderId":42}',
  hasData: true,
});

export const aFanoutMessage = (overrides: Partial<FanoutMessage> = {}): FanoutMessage => ({
  ...anEnvelope(overrides.eventId ?? EVENT_ID),
  ...overrides,
});

export const aDeliveryMessage = (overrides: Partial<DeliveryMessage> = {}): DeliveryMessage => ({
  ...anEnvelope(overrides.eventId ?? EVENT_ID),
  subscriptionId: SUBSCRIPTION_ID,
  subscriptionVersion: 1,
  ...overrides,
});

/** A group message for the subscriptions `subscriptionIdOf(1)` to `subscriptionIdOf(count)`, each at version 1. */
export const aDeliveryGroupMessage = (count: number, overrides: Partial<DeliveryGroupMessage> = {}): DeliveryGroupMessage => ({
  ...anEnvelope(overrides.eventId ?? EVENT_ID),
  subscriptions: Array.from({ length: count }, (_, i) => ({ id: subscriptionIdOf(i + 1), version: 1 })),
  ...overrides,
});

/** A recovery of everything the subscription exhausted up to 2030. */
export const aRecoverMessage = (overrides: Partial<RecoverMessage> = {}): RecoverMessage => ({
  v: 1,
  kind: 'recover',
  tenantId: TENANT,
  subscriptionId: SUBSCRIPTION_ID,
  since: 0,
  until: Date.parse('2030-01-01T00:00:00Z'),
  run: 'run_01JNKQ0000000000000000000R',
  ...overrides,
});

/** A record after one attempt, due for a retry. */
export const aDeliveryRecord = (overrides: Partial<DeliveryRecord> = {}): DeliveryRecord => {
  const eventId = overrides.eventId ?? EVENT_ID;
  return {
    tenantId: TENANT,
    eventId,
    subscriptionId: SUBSCRIPTION_ID,
    eventType: 'order.created',
    run: eventId,
    status: 'retrying',
    attempts: 1,
    history: [],
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    expiresAt: EXPIRES_AT,
    ...overrides,
  };
};

/** An attempt the receiver answered with a 500. */
export const aFailedAttempt = (overrides: Partial<AttemptLog> = {}): AttemptLog => ({
  attempt: 1,
  at: CREATED_AT,
  outcome: 'failed',
  reason: 'server_error',
  statusCode: 500,
  durationMs: 3,
  ...overrides,
});

/** A first attempt that delivered, as a group log keeps it. */
export const aGroupDelivery = (overrides: Partial<GroupDelivery> = {}): GroupDelivery => ({
  at: CREATED_AT,
  statusCode: 200,
  durationMs: 7,
  ...overrides,
});

/** The log of a group whose members all delivered at the first attempt; the first member names the group. */
export const aDeliveryGroupLog = (members: readonly string[], overrides: Partial<DeliveryGroupLog> = {}): DeliveryGroupLog => ({
  tenantId: TENANT,
  eventId: EVENT_ID,
  eventType: 'order.created',
  firstSubscriptionId: members[0]!,
  delivered: Object.fromEntries(members.map((id) => [id, aGroupDelivery()])),
  expiresAt: EXPIRES_AT,
  ...overrides,
});

/** The sender's answer for a request the receiver answered. */
export const response = (
  statusCode: number,
  extra: Partial<Extract<AttemptResult, { kind: 'response' }>> = {},
): Extract<AttemptResult, { kind: 'response' }> => ({
  kind: 'response',
  statusCode,
  durationMs: 12,
  ...extra,
});

/** The sender's answer for a request that failed below HTTP (a timeout counts as sent). */
export const transportError = (
  error: Extract<AttemptResult, { kind: 'error' }>['error'],
  message = `${error} failure`,
  requestSent = error === 'timeout',
): Extract<AttemptResult, { kind: 'error' }> => ({ kind: 'error', error, message, durationMs: 7, requestSent });

/** The sender's answer for a request that never left (no connection came free, or the invocation was ending). */
export const notSent = (reason: Extract<AttemptResult, { kind: 'not_sent' }>['reason'] = 'pool_wait'): AttemptResult => ({
  kind: 'not_sent',
  reason,
  durationMs: 2_000,
});

/** A subscription as the API shows it (and the CLI reads it): no secrets, its circuit closed. */
export const aSubscriptionView = (overrides: Partial<SubscriptionView> = {}): SubscriptionView => ({
  id: 'sub_01J0000000000000000000000B',
  url: 'https://example.com/hooks',
  eventTypes: ['order.*'],
  headers: {},
  enabled: true,
  circuit: { state: 'closed', consecutiveFailures: 0 },
  createdAt: '2026-03-01T12:00:00.000Z',
  updatedAt: '2026-03-01T12:00:00.000Z',
  ...overrides,
});
