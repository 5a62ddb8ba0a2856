import type { ApiKeyChecksumSettings, ApiKeyRecord } from '../../lambdas/core/api-keys';
import { isGroupMessage, type DeliveryMessage, type DeliveryQueueMessage, type FanoutMessage } from '../../lambdas/core/messages';
import { ownerName, type Consumer, type DeliveryGroupLog, type DeliveryRecord, type IdempotencyRecord, type StoredEvent, type Subscription, type SubscriptionOwner } from '../../lambdas/core/model';
import type { AttemptResult } from '../../lambdas/core/outcome';
import type {
  ApiKeyStore,
  ClaimResult,
  ConsumerFields,
  ConsumerStore,
  CreateRefusal,
  DelayedDeliveryPublisher,
  DeliveryGroupStore,
  DeliveryListQuery,
  DeliveryPublisher,
  DeliveryStore,
  EventStore,
  FanoutBatchPublisher,
  FanoutPublisher,
  Page,
  PageRequest,
  RecordAttemptResult,
  SlotLease,
  SlotPool,
  SlowAttemptSlots,
  SubscriptionChanges,
  SubscriptionExpectation,
  SubscriptionStore,
  WebhookRequest,
  WebhookSender,
} from '../../lambdas/core/ports';
import { CLOSED_CIRCUIT } from '../../lambdas/core/ports';
import { rateDecision, type RateDecision, type RateLimiter } from '../../lambdas/core/rate-limit';
import { settingDefault } from '../../lambdas/core/settings';
import { BREAKER_TIMINGS, CircuitBreaker } from '../../lambdas/delivery/circuit-breaker';
import type { DeliverDeps } from '../../lambdas/delivery/deliver';
import { EndpointConcurrency } from '../../lambdas/delivery/endpoint-concurrency';
import { slotPoolKey } from '../../lambdas/delivery/endpoint-key';
import { EndpointHealthTracker } from '../../lambdas/delivery/endpoint-health';
import { NOW } from './builders';

/**
 * Small in-memory implementations of the ports in lambdas/core/ports.ts. They copy what they store
 * and hand out, so a test cannot pass because the code under test mutated a shared object.
 */
const copy = <T>(value: T): T => structuredClone(value);

export class InMemoryEventStore implements EventStore {
  readonly events = new Map<string, StoredEvent>();
  readonly claims = new Map<string, IdempotencyRecord>();
  readonly calls = { putEvent: 0, getEvent: 0, claimIdempotencyKey: 0, markHandedOver: 0 };

  async putEvent(event: StoredEvent): Promise<void> {
    this.calls.putEvent++;
    const key = `${event.tenantId}#${event.id}`;
    if (!this.events.has(key)) this.events.set(key, copy(event));
  }

  async getEvent(tenantId: string, eventId: string): Promise<StoredEvent | undefined> {
    this.calls.getEvent++;
    const event = this.events.get(`${tenantId}#${eventId}`);
    return event === undefined ? undefined : copy(event);
  }

  async claimIdempotencyKey(record: IdempotencyRecord, nowSeconds: number): Promise<ClaimResult> {
    this.calls.claimIdempotencyKey++;
    const key = `${record.tenantId}#${record.key}`;
    const existing = this.claims.get(key);
    if (existing !== undefined && existing.expiresAt > nowSeconds) return { claimed: false, existing: copy(existing) };
    this.claims.set(key, copy(record));
    return { claimed: true };
  }

  async findIdempotencyKey(tenantId: string, key: string, nowSeconds: number): Promise<IdempotencyRecord | undefined> {
    const claim = this.claims.get(`${tenantId}#${key}`);
    return claim !== undefined && claim.expiresAt > nowSeconds ? copy(claim) : undefined;
  }

  async markHandedOver(tenantId: string, key: string): Promise<void> {
    this.calls.markHandedOver++;
    const claim = this.claims.get(`${tenantId}#${key}`);
    if (claim !== undefined) claim.handedOver = true;
  }
}

/** Pages by position; the cursor is the index of the next item, as a string. */
export class InMemorySubscriptionStore implements SubscriptionStore {
  readonly subscriptions = new Map<string, Subscription>();
  readonly calls = { get: 0, getMany: 0, list: 0, update: 0 };

  constructor(initial: readonly Subscription[] = []) {
    for (const subscription of initial) this.subscriptions.set(this.key(subscription, subscription.id), copy(subscription));
  }

  private key(owner: SubscriptionOwner, id: string): string {
    return `${ownerName(owner)}#${id}`;
  }

  async create(subscription: Subscription, maxPerOwner?: number): Promise<true | CreateRefusal> {
    const owned = [...this.subscriptions.values()].filter((s) => ownerName(s) === ownerName(subscription)).length;
    if (maxPerOwner !== undefined && owned >= maxPerOwner) return 'quota_exceeded';
    this.subscriptions.set(this.key(subscription, subscription.id), copy(subscription));
    return true;
  }

  async locate(tenantId: string, id: string): Promise<Subscription | undefined> {
    const found = [...this.subscriptions.values()].find((s) => s.tenantId === tenantId && s.id === id);
    return found === undefined ? undefined : copy(found);
  }

  async get(owner: SubscriptionOwner, id: string): Promise<Subscription | undefined> {
    this.calls.get++;
    const subscription = this.subscriptions.get(this.key(owner, id));
    return subscription === undefined ? undefined : copy(subscription);
  }

  async getMany(owner: SubscriptionOwner, ids: readonly string[]): Promise<Subscription[]> {
    this.calls.getMany++;
    return ids.flatMap((id) => {
      const subscription = this.subscriptions.get(this.key(owner, id));
      return subscription === undefined ? [] : [copy(subscription)];
    });
  }

  async list(owner: SubscriptionOwner, page: PageRequest): Promise<Page<Subscription>> {
    this.calls.list++;
    const all = [...this.subscriptions.values()]
      .filter((s) => ownerName(s) === ownerName(owner))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const start = page.cursor === undefined ? 0 : Number(page.cursor);
    const items = all.slice(start, start + page.limit).map(copy);
    const next = start + page.limit;
    return next < all.length ? { items, cursor: String(next) } : { items };
  }

  async update(owner: SubscriptionOwner, id: string, changes: SubscriptionChanges, expected: SubscriptionExpectation = {}): Promise<Subscription | undefined> {
    this.calls.update++;
    const existing = this.subscriptions.get(this.key(owner, id));
    if (existing === undefined) return undefined;
    if (Object.entries(expected).some(([name, value]) => (existing as unknown as Record<string, unknown>)[name] !== value)) return undefined;
    const updated: Subscription = { ...existing, version: existing.version + 1, updatedAt: changes.updatedAt };
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) delete (updated as unknown as Record<string, unknown>)[name];
      else if (value !== undefined) (updated as unknown as Record<string, unknown>)[name] = copy(value);
    }
    this.subscriptions.set(this.key(owner, id), updated);
    return copy(updated);
  }

  async delete(owner: SubscriptionOwner, id: string): Promise<boolean> {
    return this.subscriptions.delete(this.key(owner, id));
  }

  async setFailingSince(owner: SubscriptionOwner, id: string, since: string | null): Promise<Subscription | undefined> {
    return this.change(owner, id, (s) => {
      if ((since === null) === (s.failingSince === undefined)) return false;
      if (since === null) delete s.failingSince;
      else s.failingSince = since;
      return true;
    });
  }

  async countUnanswered(owner: SubscriptionOwner, id: string, failure: { at: string; error: string }, answerSeenAt: string | undefined) {
    return this.change(owner, id, (s) => {
      const restart = s.circuitCountingSince === undefined || (answerSeenAt !== undefined && s.circuitCountingSince <= answerSeenAt);
      s.circuitFailures = restart ? 1 : (s.circuitFailures ?? 0) + 1;
      if (restart) s.circuitCountingSince = failure.at;
      s.circuitLastError = failure.error;
      s.circuitLastFailureAt = failure.at;
      return true;
    });
  }

  async openCircuit(owner: SubscriptionOwner, id: string, open: { at: string; nextProbeAt: string; probeSeconds: number }) {
    return this.change(owner, id, (s) => {
      if (s.circuitOpenedAt !== undefined) return false;
      Object.assign(s, { circuitOpenedAt: open.at, circuitNextProbeAt: open.nextProbeAt, circuitProbeSeconds: open.probeSeconds });
      return true;
    });
  }

  async claimProbe(owner: SubscriptionOwner, id: string, claim: { seenNextProbeAt: string; nextProbeAt: string; probeSeconds: number }) {
    return this.change(owner, id, (s) => {
      if (s.circuitNextProbeAt !== claim.seenNextProbeAt) return false;
      Object.assign(s, { circuitNextProbeAt: claim.nextProbeAt, circuitProbeSeconds: claim.probeSeconds });
      return true;
    });
  }

  async closeCircuit(owner: SubscriptionOwner, id: string) {
    return this.change(owner, id, (s) => {
      for (const field of Object.keys(CLOSED_CIRCUIT) as (keyof typeof CLOSED_CIRCUIT)[]) delete s[field];
      return true;
    });
  }

  /** Applies a conditional change of health (false: its condition failed): bumps the health revision, not the version. */
  private change(owner: SubscriptionOwner, id: string, apply: (subscription: Subscription) => boolean): Subscription | undefined {
    const existing = this.subscriptions.get(this.key(owner, id));
    if (existing === undefined) return undefined;
    const updated = copy(existing);
    if (!apply(updated)) return undefined;
    updated.healthRevision = (updated.healthRevision ?? 0) + 1;
    this.subscriptions.set(this.key(owner, id), updated);
    return copy(updated);
  }
}

/** Consumers in memory, over the subscription store whose consumer subscriptions a delete removes. */
export class InMemoryConsumerStore implements ConsumerStore {
  readonly consumers = new Map<string, Consumer>();

  constructor(private readonly subscriptions: InMemorySubscriptionStore) {}

  async put(tenantId: string, id: string, fields: ConsumerFields, now: string) {
    const existing = this.consumers.get(`${tenantId}#${id}`);
    const consumer: Consumer = { tenantId, id, ...fields, createdAt: existing?.createdAt ?? now, updatedAt: now };
    this.consumers.set(`${tenantId}#${id}`, consumer);
    return { consumer: copy(consumer), created: existing === undefined };
  }

  async get(tenantId: string, id: string): Promise<Consumer | undefined> {
    const consumer = this.consumers.get(`${tenantId}#${id}`);
    return consumer === undefined ? undefined : copy(consumer);
  }

  async list(tenantId: string, page: PageRequest): Promise<Page<Consumer>> {
    // The cursor is the last id of the page before, as the store's own is its last key.
    const all = [...this.consumers.values()]
      .filter((c) => c.tenantId === tenantId && (page.cursor === undefined || c.id > page.cursor))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const items = all.slice(0, page.limit);
    return { items: items.map(copy), ...(all.length > page.limit ? { cursor: items.at(-1)!.id } : {}) };
  }

  async delete(tenantId: string, id: string): Promise<{ subscriptionsDeleted: number } | undefined> {
    const existed = this.consumers.delete(`${tenantId}#${id}`);
    const owner = { tenantId, consumerId: id };
    const { items } = await this.subscriptions.list(owner, { limit: 1000 });
    for (const subscription of items) await this.subscriptions.delete(owner, subscription.id);
    return existed || items.length > 0 ? { subscriptionsDeleted: items.length } : undefined;
  }
}

/** Slow-attempt slots in memory, with the store's rule: a slot is free when absent or past its end. */
export class InMemorySlowAttemptSlots implements SlowAttemptSlots {
  readonly held = new Map<string, number[]>();
  readonly calls = { acquire: 0, refused: 0, released: 0 };

  async acquire(pool: SlotPool, limit: number, untilMs: number, nowMs: number): Promise<SlotLease | undefined> {
    this.calls.acquire++;
    const key = slotPoolKey(pool);
    const ends = (this.held.get(key) ?? []).filter((end) => end >= nowMs);
    if (ends.length >= limit) {
      this.calls.refused++;
      return undefined;
    }
    ends.push(untilMs);
    this.held.set(key, ends);
    return {
      release: async () => {
        this.calls.released++;
        const current = this.held.get(key) ?? [];
        current.splice(current.indexOf(untilMs), 1);
      },
    };
  }
}

/**
 * Honours the recordAttempt condition of ports.ts: the write succeeds when no record exists, the
 * stored one is of an older run, or it is of the same run with `previousAttempts` attempts.
 * `beforeRecordAttempt` lets a test slip a concurrent writer in between read and write.
 */
export class InMemoryDeliveryStore implements DeliveryStore {
  readonly records = new Map<string, DeliveryRecord>();
  readonly calls = { get: 0, recordAttempt: 0, recorded: 0, conflicts: 0 };
  beforeRecordAttempt?: (record: DeliveryRecord) => void;

  private key(tenantId: string, subscriptionId: string, eventId: string): string {
    return `${tenantId}#${subscriptionId}#${eventId}`;
  }

  /** Puts a record directly, as if an earlier receive had written it. */
  seed(record: DeliveryRecord): void {
    this.records.set(this.key(record.tenantId, record.subscriptionId, record.eventId), copy(record));
  }

  stored(tenantId: string, subscriptionId: string, eventId: string): DeliveryRecord | undefined {
    return this.records.get(this.key(tenantId, subscriptionId, eventId));
  }

  async get(tenantId: string, subscriptionId: string, eventId: string): Promise<DeliveryRecord | undefined> {
    this.calls.get++;
    const record = this.stored(tenantId, subscriptionId, eventId);
    return record === undefined ? undefined : copy(record);
  }

  async recordAttempt(record: DeliveryRecord, previousAttempts: number): Promise<RecordAttemptResult> {
    this.calls.recordAttempt++;
    this.beforeRecordAttempt?.(record);
    const key = this.key(record.tenantId, record.subscriptionId, record.eventId);
    const stored = this.records.get(key);
    const writable =
      stored === undefined || stored.run < record.run || (stored.run === record.run && stored.attempts === previousAttempts);
    if (!writable) {
      this.calls.conflicts++;
      return 'conflict';
    }
    this.records.set(key, copy(record));
    this.calls.recorded++;
    return 'recorded';
  }

  async listBySubscription(tenantId: string, subscriptionId: string, query: DeliveryListQuery): Promise<Page<DeliveryRecord>> {
    const items = [...this.records.values()]
      .filter((r) => r.tenantId === tenantId && r.subscriptionId === subscriptionId)
      .filter((r) => query.status === undefined || r.status === query.status)
      .slice(0, query.limit)
      .map(copy);
    return { items };
  }

  async getForEvent(tenantId: string, eventId: string, subscriptionIds: readonly string[]): Promise<DeliveryRecord[]> {
    return subscriptionIds.flatMap((id) => {
      const record = this.stored(tenantId, id, eventId);
      return record === undefined ? [] : [copy(record)];
    });
  }
}

export class InMemoryApiKeyStore implements ApiKeyStore {
  readonly records = new Map<string, ApiKeyRecord>();
  /** Reads of key records; the checksum settings' reads are counted apart. */
  reads = 0;
  settings: ApiKeyChecksumSettings | undefined;
  settingsReads = 0;

  async getChecksumSettings(): Promise<ApiKeyChecksumSettings | undefined> {
    this.settingsReads++;
    return this.settings === undefined ? undefined : copy(this.settings);
  }

  async get(keyId: string): Promise<ApiKeyRecord | undefined> {
    this.reads++;
    const record = this.records.get(keyId);
    return record === undefined ? undefined : copy(record);
  }

  async put(record: ApiKeyRecord): Promise<void> {
    this.records.set(record.keyId, copy(record));
  }
}

export class RecordingFanoutPublisher implements FanoutPublisher, FanoutBatchPublisher {
  readonly messages: FanoutMessage[] = [];
  /** How many of the next sends fail, as a queue outage would. */
  failNext = 0;

  async publishFanout(message: FanoutMessage): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('RecordingFanoutPublisher: simulated send failure');
    }
    this.messages.push(copy(message));
  }

  async publishFanouts(messages: readonly FanoutMessage[]): Promise<void> {
    for (const message of messages) await this.publishFanout(message);
  }
}

export class RecordingDeliveryPublisher implements DeliveryPublisher {
  /** One entry per publishDeliveries call. */
  readonly calls: DeliveryQueueMessage[][] = [];

  get messages(): DeliveryQueueMessage[] {
    return this.calls.flat();
  }

  /** The subscriptions the messages address, a group's in its order. */
  get subscriptionIds(): string[] {
    return this.messages.flatMap((message) => (isGroupMessage(message) ? message.subscriptions.map((s) => s.id) : [message.subscriptionId]));
  }

  async publishDeliveries(messages: readonly DeliveryQueueMessage[]): Promise<void> {
    this.calls.push(messages.map(copy));
  }
}

export class RecordingDelayedPublisher implements DelayedDeliveryPublisher {
  readonly sent: { message: DeliveryMessage; delaySeconds: number }[] = [];

  async publishDelayed(entries: readonly { message: DeliveryMessage; delaySeconds: number }[]): Promise<void> {
    this.sent.push(...entries.map(copy));
  }
}

/** Group log items in memory; a write adds its entries to the ones already there, as the UpdateItem does. */
export class InMemoryDeliveryGroupStore implements DeliveryGroupStore {
  readonly logs = new Map<string, DeliveryGroupLog>();
  readonly calls = { getGroup: 0, recordGroup: 0 };

  async getGroup(tenantId: string, eventId: string, firstSubscriptionId: string): Promise<DeliveryGroupLog | undefined> {
    this.calls.getGroup++;
    const log = this.logs.get(`${tenantId}#${eventId}#${firstSubscriptionId}`);
    return log === undefined ? undefined : copy(log);
  }

  async recordGroup(log: DeliveryGroupLog): Promise<void> {
    this.calls.recordGroup++;
    const key = `${log.tenantId}#${log.eventId}#${log.firstSubscriptionId}`;
    const existing = this.logs.get(key);
    this.logs.set(key, { ...copy(log), delivered: { ...existing?.delivered, ...copy(log.delivered) } });
  }
}

/** Answers each send with the next scripted result; running out of script is a test error. */
export class ScriptedSender implements WebhookSender {
  readonly requests: WebhookRequest[] = [];

  constructor(private readonly script: AttemptResult[] = []) {}

  async send(request: WebhookRequest): Promise<AttemptResult> {
    this.requests.push(request);
    const next = this.script.shift();
    if (next === undefined) throw new Error('ScriptedSender: no scripted result left for this send');
    return next;
  }
}

/** Per-second counters in memory, with the same decision rule as the DynamoDB limiter. */
export class InMemoryRateLimiter implements RateLimiter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(tenantId: string, subscriptionId: string, limitPerSecond: number): Promise<RateDecision> {
    const key = `${tenantId}#${subscriptionId}#${Math.floor(this.now() / 1000)}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return rateDecision(count, limitPerSecond, 0);
  }
}

/** `deliver`'s endpoint isolation (circuit breaker, slow-attempt slots) over in-memory stores, with the defaults. */
const endpointIsolation = (
  subscriptions: InMemorySubscriptionStore,
  slots: SlowAttemptSlots = new InMemorySlowAttemptSlots(),
): Pick<DeliverDeps, 'breaker' | 'slowAttempts' | 'concurrency'> => {
  const breaker = new CircuitBreaker(subscriptions, { failureThreshold: settingDefault('circuitBreakerThreshold'), ...BREAKER_TIMINGS });
  return {
    breaker,
    slowAttempts: {
      slots,
      afterMs: settingDefault('slowAttemptMs'),
      limit: settingDefault('maxSlowAttemptsPerEndpoint'),
      allEndpointsLimit: settingDefault('maxSlowAttempts'),
    },
    concurrency: new EndpointConcurrency(10, { answers: breaker.answers }),
  };
};

/**
 * `deliver`'s dependencies over in-memory stores with the defaults: the kit's clock (NOW, or
 * `overrides.now`, which the rate limiter reads too), the default retry schedule, a random of 0.25,
 * operational events dropped, endpoints disabled after 5 days of failing. A test overrides what it
 * is about.
 */
export const deliverDeps = (
  stores: { subscriptions: InMemorySubscriptionStore; deliveries: DeliveryStore; events: EventStore; sender: WebhookSender },
  overrides: Partial<DeliverDeps> = {},
): DeliverDeps => {
  const now = overrides.now ?? (() => NOW);
  return {
    subscriptions: { get: (owner, id) => stores.subscriptions.get(owner, id) },
    health: new EndpointHealthTracker(stores.subscriptions, 5 * 86400 * 1000),
    ...endpointIsolation(stores.subscriptions),
    rateLimiter: new InMemoryRateLimiter(now),
    operationalEvents: { emit: async () => undefined },
    deliveries: stores.deliveries,
    events: stores.events,
    sender: stores.sender,
    retrySchedule: settingDefault('retrySchedule'),
    timeoutMs: 15_000,
    deliveryLogRetentionDays: 30,
    now,
    random: () => 0.25,
    ...overrides,
  };
};
