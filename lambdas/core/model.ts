/** The records of the data model (docs/architecture.md), as the core sees them (storage layout is the stores' business). */

import type { EventPattern } from './event-pattern';

export interface SubscriptionSecrets {
  current: string;
  /** The secret before the last rotation; it keeps signing until `previousExpiresAt`. */
  previous?: string;
  previousExpiresAt?: string;
}

/**
 * Whose subscriptions: the tenant's own (no `consumerId`), or those of one of its consumers (the
 * tenant's customers, docs/delivery-semantics.md). A subscription, an event and a queue message are
 * each an owner of this shape.
 */
export interface SubscriptionOwner {
  tenantId: string;
  consumerId?: string;
}

/** Just the owner of a subscription, event or message (its other fields left out). */
export const ownerOf = ({ tenantId, consumerId }: SubscriptionOwner): SubscriptionOwner =>
  consumerId === undefined ? { tenantId } : { tenantId, consumerId };

/**
 * A name for an owner, unique in a deployment: its tenant, and its consumer if it has one (tenant
 * and consumer ids hold no `#`). The subscriptions table uses it as the owner's partition key.
 */
export const ownerName = ({ tenantId, consumerId }: SubscriptionOwner): string =>
  consumerId === undefined ? tenantId : `${tenantId}#consumer#${consumerId}`;

/** A consumer id: chosen by the tenant, 1 to 64 of `A-Z a-z 0-9 . _ : -`. */
export const CONSUMER_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** One of a tenant's customers: the owner of its own subscriptions. */
export interface Consumer {
  tenantId: string;
  id: string;
  name?: string;
  metadata?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface Subscription {
  tenantId: string;
  id: string;
  /** The consumer it belongs to; absent for the tenant's own. Fixed at creation. */
  consumerId?: string;
  url: string;
  eventTypes: string[];
  /** A payload filter (an EventBridge event pattern, docs/filters.md): an event is delivered only when it matches. */
  filter?: EventPattern;
  description?: string;
  headers: Record<string, string>;
  rateLimitPerSecond?: number;
  /** A JSONata expression that reshapes the body this endpoint receives (lambdas/core/transformation.ts). */
  transformation?: string;
  enabled: boolean;
  disabledReason?: string;
  disabledAt?: string;
  /** When the current run of failed attempts began; absent while the endpoint is healthy. */
  failingSince?: string;
  secrets: SubscriptionSecrets;
  /**
   * The endpoint's circuit breaker, in flat attributes so that one update can count a failure.
   * Health, not configuration: none of them bumps the version.
   */
  circuitFailures?: number;
  /** When the current count of failures began: an answer seen after it starts the count again. */
  circuitCountingSince?: string;
  circuitLastError?: string;
  circuitLastFailureAt?: string;
  /** Set while the circuit is open: the endpoint is not called until `circuitNextProbeAt`. */
  circuitOpenedAt?: string;
  circuitNextProbeAt?: string;
  circuitProbeSeconds?: number;
  /**
   * Bumped by every write of the health and circuit fields above (which leave `version` alone):
   * with `version` it orders two copies of the subscription by when they were written.
   */
  healthRevision?: number;
  /** Bumped on every change; caches of subscriptions compare it to stay exact. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * An event to accept, as it is stored and delivered: `dataJson` is the JSON text of `data` exactly
 * as the publisher wrote it, so big integers, long decimals, exponents and escapes reach the
 * receiver unchanged.
 */
export interface EventToPublish {
  type: string;
  dataJson: string;
  idempotencyKey?: string;
  /** The consumer whose subscriptions receive it; without one, the tenant's own do. */
  consumerId?: string;
  /** Only this subscription (of that consumer, or of the tenant's own) may receive it. */
  subscriptionId?: string;
  /** To the tenant's own subscriptions and every consumer's (never with `consumerId` or `subscriptionId`). */
  broadcast?: true;
}

export interface StoredEvent {
  tenantId: string;
  id: string;
  type: string;
  /** The JSON text of the event's data, exactly as published (see EventToPublish). */
  dataJson: string;
  /** The consumer it was published to: replays and recoveries route it the same way. */
  consumerId?: string;
  /** The one subscription it was published to, if it was. */
  subscriptionId?: string;
  /** Published to the tenant's own subscriptions and every consumer's: replays broadcast it again. */
  broadcast?: true;
  createdAt: string;
  /** Epoch seconds: the end of the replay window. */
  expiresAt: number;
}

export interface IdempotencyRecord {
  tenantId: string;
  key: string;
  bodyHash: string;
  eventId: string;
  type: string;
  createdAt: string;
  /** False until the event has been handed to fan-out; a repeat hands it over then. */
  handedOver: boolean;
  expiresAt: number;
}

/** `exhausted`: no attempt will follow, because the schedule ran out or the failure is permanent. */
export type DeliveryStatus = 'pending' | 'delivered' | 'retrying' | 'exhausted' | 'skipped';

export interface AttemptLog {
  attempt: number;
  at: string;
  outcome: 'delivered' | 'failed';
  statusCode?: number;
  durationMs: number;
  /**
   * Whether the request was written to an open connection (the receiver may have read it); false
   * when no connection was made (DNS, refused, connect timeout, TLS). Absent on records written
   * before it was kept.
   */
  requestSent?: boolean;
  reason?: string;
  error?: string;
  responseSnippet?: string;
  nextAttemptAt?: string;
}

export interface DeliveryRecord {
  tenantId: string;
  eventId: string;
  subscriptionId: string;
  eventType: string;
  /** Which hand-over this is: the event id for the first, a new id for every replay. */
  run: string;
  status: DeliveryStatus;
  /** Attempts made in this run: the source of truth for the retry schedule. */
  attempts: number;
  lastAttemptAt?: string;
  nextAttemptAt?: string;
  /** The most recent attempts, newest last, capped. */
  history: AttemptLog[];
  /**
   * Why the delivery ended without an attempt: its subscription's transformation cancelled it
   * (`skipped`) or failed on it (`exhausted`, `error` naming the guard or the error).
   */
  reason?: 'cancelled_by_transformation' | 'transformation_failed';
  error?: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: number;
}

/** The `expiresAt` (epoch seconds, the tables' TTL attribute) of an item kept `days` from `nowMs`. */
export const expiresAfterDays = (nowMs: number, days: number): number => Math.floor(nowMs / 1000) + days * 86400;

/** A first attempt that delivered, as the group log keeps it. */
export interface GroupDelivery {
  at: string;
  statusCode: number;
  durationMs: number;
}

/**
 * The log of one group message of an event's first run: the deliveries that succeeded at their
 * first attempt, one item for the group instead of one per delivery. Every other delivery (one
 * retried, skipped, exhausted, replayed or recovered) has its own DeliveryRecord, which wins over
 * a group entry for the same event.
 */
export interface DeliveryGroupLog {
  tenantId: string;
  eventId: string;
  eventType: string;
  /** The group's first subscription id: with the event id it names the group. */
  firstSubscriptionId: string;
  delivered: Record<string, GroupDelivery>;
  expiresAt: number;
}

/** The delivery record a group entry stands for. */
export const groupDeliveryRecord = (log: DeliveryGroupLog, subscriptionId: string): DeliveryRecord | undefined => {
  const entry = log.delivered[subscriptionId];
  if (entry === undefined) return undefined;
  const finishedAt = new Date(Date.parse(entry.at) + entry.durationMs).toISOString();
  return {
    tenantId: log.tenantId,
    eventId: log.eventId,
    subscriptionId,
    eventType: log.eventType,
    run: log.eventId,
    status: 'delivered',
    attempts: 1,
    lastAttemptAt: entry.at,
    history: [{ attempt: 1, at: entry.at, outcome: 'delivered', statusCode: entry.statusCode, durationMs: entry.durationMs, requestSent: true }],
    createdAt: finishedAt,
    updatedAt: finishedAt,
    expiresAt: log.expiresAt,
  };
};

/** Attempts kept per delivery record: enough for a full schedule plus a replay. */
export const MAX_HISTORY = 20;
/** The first bytes of a failed response are kept for the log; successes keep none. */
export const RESPONSE_SNIPPET_BYTES = 1024;
