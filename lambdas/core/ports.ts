import type { ApiKeyChecksumSettings, ApiKeyRecord } from './api-keys';
import type { EventPattern } from './event-pattern';
import type { DeliveryMessage, DeliveryQueueMessage, FanoutMessage, FanoutQueueMessage } from './messages';
import type { Consumer, DeliveryGroupLog, DeliveryRecord, DeliveryStatus, IdempotencyRecord, StoredEvent, Subscription, SubscriptionOwner } from './model';

/** What the core needs from the outside world. The AWS adapters implement these. */

export interface Page<T> {
  items: T[];
  cursor?: string;
}

export interface PageRequest {
  limit: number;
  cursor?: string;
}

export type ClaimResult = { claimed: true } | { claimed: false; existing: IdempotencyRecord };

export interface EventStore {
  /** Stores a new event; storing the same id twice is a no-op. */
  putEvent(event: StoredEvent): Promise<void>;
  getEvent(tenantId: string, eventId: string): Promise<StoredEvent | undefined>;
  /** Atomically claims an idempotency key (or finds who holds it). Expired claims are re-claimable. */
  claimIdempotencyKey(record: IdempotencyRecord, nowSeconds: number): Promise<ClaimResult>;
  /** The claim of an idempotency key still in its window, without claiming it (a strongly consistent read). */
  findIdempotencyKey(tenantId: string, key: string, nowSeconds: number): Promise<IdempotencyRecord | undefined>;
  markHandedOver(tenantId: string, key: string): Promise<void>;
}

export interface SubscriptionChanges {
  url?: string;
  eventTypes?: string[];
  filter?: EventPattern | null;
  description?: string | null;
  headers?: Record<string, string>;
  rateLimitPerSecond?: number | null;
  transformation?: string | null;
  enabled?: boolean;
  disabledReason?: string | null;
  disabledAt?: string | null;
  failingSince?: string | null;
  secrets?: Subscription['secrets'];
  updatedAt: string;
  /** Only ever cleared by a change: a new URL or a re-enable starts the endpoint's circuit closed. */
  circuitFailures?: null;
  circuitCountingSince?: null;
  circuitOpenedAt?: null;
  circuitNextProbeAt?: null;
  circuitProbeSeconds?: null;
}

/** The changes that close an endpoint's circuit and clear its count. */
export const CLOSED_CIRCUIT = {
  circuitFailures: null,
  circuitCountingSince: null,
  circuitOpenedAt: null,
  circuitNextProbeAt: null,
  circuitProbeSeconds: null,
} as const satisfies Partial<SubscriptionChanges>;

/** What a conditional update expects the subscription to hold; a field left out is not checked. */
export type SubscriptionExpectation = Partial<Pick<Subscription, 'enabled' | 'disabledReason'>>;

/** What fan-out needs: reads only. */
export type SubscriptionReader = Pick<SubscriptionStore, 'get' | 'list'>;

/** Why a create stored nothing. */
export type CreateRefusal = 'quota_exceeded' | 'consumer_not_found';

/**
 * Subscriptions, kept per owner: the tenant's own, and each consumer's apart (a read of one owner's
 * set never reads another's). Every read and write names the owner; `locate` finds a subscription
 * of the tenant's from its id alone.
 */
export interface SubscriptionStore {
  /**
   * Stores a new subscription and counts it towards its owner's; refused, storing nothing, when the
   * owner already has `maxPerOwner` (without one, it is only counted), or when its consumer does not
   * exist (checked in the same write, so a consumer being deleted gets no new subscription).
   * Creates racing at the limit never take the owner past it.
   */
  create(subscription: Subscription, maxPerOwner?: number): Promise<true | CreateRefusal>;
  /** Strongly consistent: a change acknowledged to a client is seen by the next read. */
  get(owner: SubscriptionOwner, id: string): Promise<Subscription | undefined>;
  /** Strongly consistent, as `get`: those of the ids that exist, in any order (one read for up to 100). */
  getMany(owner: SubscriptionOwner, ids: readonly string[]): Promise<Subscription[]>;
  /** The tenant's subscription with this id, its own or a consumer's. */
  locate(tenantId: string, id: string): Promise<Subscription | undefined>;
  /** One owner's subscriptions, in id order: a tenant's own never include its consumers'. */
  list(owner: SubscriptionOwner, page: PageRequest): Promise<Page<Subscription>>;
  /**
   * Applies the changes and bumps the version; undefined when there is no such subscription, or
   * when it does not hold what `expected` says (checked in the same write).
   */
  update(owner: SubscriptionOwner, id: string, changes: SubscriptionChanges, expected?: SubscriptionExpectation): Promise<Subscription | undefined>;
  /** Deletes the subscription and stops counting it; false when there is no such subscription. */
  delete(owner: SubscriptionOwner, id: string): Promise<boolean>;
  /**
   * Starts (a time) or ends (null) the subscription's failing period, only if that changes it, and
   * bumps no version: health is not configuration. Undefined when nothing changed.
   */
  setFailingSince(owner: SubscriptionOwner, id: string, since: string | null): Promise<Subscription | undefined>;
}

/** What fan-out needs to walk a tenant's consumers for a broadcast: reads only. */
export type ConsumerReader = Pick<ConsumerStore, 'get' | 'list'>;

/** What a consumer's create-or-update may set. */
export type ConsumerFields = Pick<Consumer, 'name' | 'metadata'>;

export interface ConsumerStore {
  /** Creates the consumer, or replaces its name and metadata; says which. */
  put(tenantId: string, id: string, fields: ConsumerFields, now: string): Promise<{ consumer: Consumer; created: boolean }>;
  get(tenantId: string, id: string): Promise<Consumer | undefined>;
  /** In id order. */
  list(tenantId: string, page: PageRequest): Promise<Page<Consumer>>;
  /**
   * Deletes the consumer and then every subscription it has; how many went, or undefined when there
   * was neither. A consumer is gone before its subscriptions are, so no new one can be made meanwhile;
   * a delete cut short is finished by the next one (the consumer is gone, its subscriptions are not).
   */
  delete(tenantId: string, id: string): Promise<{ subscriptionsDeleted: number } | undefined>;
}

export type RecordAttemptResult = 'recorded' | 'conflict';

export interface DeliveryListQuery extends PageRequest {
  status?: DeliveryStatus;
  since?: number;
  until?: number;
}

export interface DeliveryStore {
  get(tenantId: string, subscriptionId: string, eventId: string): Promise<DeliveryRecord | undefined>;
  /**
   * Writes the record if the stored one is still what the caller based its decision on: absent,
   * an older run, or the same run with `previousAttempts` attempts. Otherwise 'conflict'.
   */
  recordAttempt(record: DeliveryRecord, previousAttempts: number): Promise<RecordAttemptResult>;
  /** Newest first, group entries included (a subscription's own record wins over its group entry). */
  listBySubscription(tenantId: string, subscriptionId: string, query: DeliveryListQuery): Promise<Page<DeliveryRecord>>;
  /** The deliveries of an event to these subscriptions (ids in ascending order), group entries included. */
  getForEvent(tenantId: string, eventId: string, subscriptionIds: readonly string[]): Promise<DeliveryRecord[]>;
}

export interface DeliveryGroupStore {
  getGroup(tenantId: string, eventId: string, firstSubscriptionId: string): Promise<DeliveryGroupLog | undefined>;
  /** Adds the entries to the group's item (creating it), keeping the ones already there. */
  recordGroup(log: DeliveryGroupLog): Promise<void>;
}

export interface ApiKeyStore {
  get(keyId: string): Promise<ApiKeyRecord | undefined>;
  put(record: ApiKeyRecord): Promise<void>;
  /** The deployment's checksum settings; undefined until the first keyed key is made. */
  getChecksumSettings(): Promise<ApiKeyChecksumSettings | undefined>;
}

/** What operators do with keys, beside what the functions need. */
export interface ApiKeyAdminStore extends ApiKeyStore {
  /** Every key (of one tenant, when given), hashes included: for operator tools only. */
  list(tenantId?: string): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked; false when there is no such key. */
  revoke(keyId: string, revokedAt: string): Promise<boolean>;
  /** Stores the checksum settings unless some are stored already; false then. */
  createChecksumSettings(settings: ApiKeyChecksumSettings): Promise<boolean>;
  /** From now on keys with an unkeyed tag are refused without a read. */
  refuseUnkeyedKeys(): Promise<void>;
}

/** The subscriptions an event fanned out at ingest went to, in id order. */
export interface InlineFanOutResult {
  subscriptionIds: string[];
}

export interface InlineFanOut {
  /** The subscription an event published to one is for: read before the event is stored, so an unknown one is refused. */
  subscription(owner: SubscriptionOwner, id: string): Promise<Subscription | undefined>;
  /**
   * Reads what fanning the event out here takes (its subscriptions; `target`, read by
   * `subscription`, when it was published to one) and answers the send, to call once the event is
   * stored; undefined when it declines and the event must go through the fan-out queue. The read
   * may run alongside the event's write: a subscription acknowledged before the publish arrived is
   * in it either way.
   */
  prepare(message: FanoutMessage, target?: Subscription): Promise<InlineFanOutSend | undefined>;
}

/** Sends an event's deliveries, once the event is stored. */
export type InlineFanOutSend = () => Promise<InlineFanOutResult>;

export interface FanoutPublisher {
  publishFanout(message: FanoutQueueMessage): Promise<void>;
}

/** Sends many fan-out messages at once (a broadcast's, one per consumer). */
export interface FanoutBatchPublisher {
  /** Sends every message in as few batch calls as the queue allows, retrying the entries a batch call reports as failed; throws if any is left. */
  publishFanouts(messages: readonly FanoutQueueMessage[]): Promise<void>;
}

export interface DeliveryPublisher {
  /** Sends every message, retrying the entries a batch call reports as failed; throws if any is left. */
  publishDeliveries(messages: readonly DeliveryQueueMessage[]): Promise<void>;
}

/** Sends deliveries split out of a group, each hidden for its delay (at most 900 s, SQS's limit). */
export interface DelayedDeliveryPublisher {
  publishDelayed(entries: readonly { message: DeliveryMessage; delaySeconds: number }[]): Promise<void>;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Called once when the attempt is still unanswered `slowAfterMs` after it got its socket; a
   * message it returns cuts the attempt short there (a timeout, with that message).
   */
  slow?: { afterMs: number; check: () => Promise<string | undefined> };
}

/** Sends one attempt: never throws for anything the receiver or the network did. */
export interface WebhookSender {
  send(request: WebhookRequest): Promise<import('./outcome').AttemptResult>;
}

/** Resolves a host name to all its addresses; undefined when it does not resolve (now). */
export type HostResolver = (hostname: string) => Promise<string[] | undefined>;

/** A slot held by one slow attempt; released when the attempt ends, or expired by time if its holder died. */
export interface SlotLease {
  release(): Promise<void>;
}

/**
 * Whose slots: one endpoint's (one subscription of one tenant), or the share of slow attempts that
 * every endpoint together may hold.
 */
export type SlotPool = { readonly tenantId: string; readonly subscriptionId: string } | 'all endpoints';

/**
 * Slots for slow attempts, shared by every function instance: at most `limit` attempts of a pool
 * may still be waiting for an answer after the slow-attempt threshold.
 */
export interface SlowAttemptSlots {
  /** A lease until `untilMs`, or undefined when all `limit` slots of `pool` are held. */
  acquire(pool: SlotPool, limit: number, untilMs: number, nowMs: number): Promise<SlotLease | undefined>;
}
