import { createHash } from 'node:crypto';
import { HttpError } from '../core/errors';
import { isId, newId } from '../core/ids';
import { canonicalJsonText } from '../core/json-text';
import { inlineData, type FanoutMessage } from '../core/messages';
import { expiresAfterDays, type EventToPublish, type IdempotencyRecord, type StoredEvent, type Subscription } from '../core/model';
import type { EventStore, FanoutPublisher, InlineFanOut } from '../core/ports';

export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600;
/**
 * A claim younger than this that has not been handed over may belong to a request still in
 * flight; handing it over again could deliver twice, so the repeat is told to come back.
 */
export const IN_FLIGHT_SECONDS = 15;

export interface AcceptEventDeps {
  events: EventStore;
  fanout: FanoutPublisher;
  now: () => number;
  eventRetentionDays: number;
  /**
   * Fans a small fan-out out at once (the ingest function's inline fan-out); when it declines the
   * event goes to the fan-out queue. Without it every event does, and an event published to a
   * subscription that does not exist is accepted and delivered nowhere (there is no read to refuse it).
   */
  inlineFanOut?: InlineFanOut;
}

export interface AcceptEventInput {
  tenantId: string;
  request: EventToPublish;
  /** From the `Idempotency-Key` header; the body's `idempotencyKey` is the fallback. */
  headerIdempotencyKey?: string;
}

/**
 * What a repeat must match: the type, the data's text with keys sorted and whitespace dropped, and
 * whether it is a broadcast, the consumer and subscription it is for, laid out as the hash of
 * `{type, data}` with sorted keys was before data was kept as text (and before events had a consumer).
 */
const bodyHash = ({ type, dataJson, consumerId, subscriptionId, broadcast }: EventToPublish): string => {
  const routing = `${broadcast ? '"broadcast":true,' : ''}${consumerId === undefined ? '' : `"consumerId":${JSON.stringify(consumerId)},`}`;
  const target = `${subscriptionId === undefined ? '' : `"subscriptionId":${JSON.stringify(subscriptionId)},`}`;
  return createHash('sha256').update(`{${routing}"data":${canonicalJsonText(dataJson)},${target}"type":${JSON.stringify(type)}}`).digest('base64url');
};

/** Up to this many of the subscriptions an event went to are named in the answer to its publish. */
export const MATCHED_IDS_SHOWN = 10;

/**
 * What the publisher is answered (`202`): the event's id, type and time of acceptance, whether it
 * is a broadcast, and, when the event was fanned out before the answer, how many subscriptions it
 * went to (naming the first MATCHED_IDS_SHOWN). A broadcast is never fanned out before the answer.
 */
export type AcceptedEvent = Pick<StoredEvent, 'id' | 'type' | 'createdAt' | 'broadcast'> & { matched?: { count: number; subscriptionIds: string[] } };

const responseOf = (event: AcceptedEvent, matched?: string[]): AcceptedEvent => ({
  id: event.id,
  type: event.type,
  createdAt: event.createdAt,
  ...(event.broadcast ? { broadcast: true } : {}),
  ...(matched === undefined ? {} : { matched: { count: matched.length, subscriptionIds: matched.slice(0, MATCHED_IDS_SHOWN) } }),
});

/**
 * Stores the event, then hands it to fan-out. The common case (no idempotency key) is one write
 * and one send. With a key, the claim is written first so that a repeat after any failure finds
 * it and finishes the hand-over: nothing accepted is lost. A repeat while the first request is
 * still in flight is told to retry; one after a crash between the hand-over and its mark hands over
 * again, and delivery deduplicates by the delivery record (at least once, same `webhook-id`).
 */
export const acceptEvent = async (input: AcceptEventInput, deps: AcceptEventDeps): Promise<AcceptedEvent> => {
  const { tenantId, request } = input;
  const key = resolveIdempotencyKey(input);
  const { consumerId, subscriptionId, broadcast } = request;
  const target = await targetSubscription(input, deps);
  if (target === 'missing') {
    // A repeat of a publish accepted (handed over) before its subscription was deleted answers as the first did.
    const accepted = key === undefined ? undefined : await acceptedEarlier(tenantId, key, request, deps);
    if (accepted === undefined) throw subscriptionNotFound(request);
    return accepted;
  }
  const nowMs = deps.now();
  const event: StoredEvent = {
    tenantId,
    id: newId('evt', nowMs),
    type: request.type,
    dataJson: request.dataJson,
    ...(consumerId === undefined ? {} : { consumerId }),
    ...(subscriptionId === undefined ? {} : { subscriptionId }),
    ...(broadcast ? { broadcast } : {}),
    createdAt: new Date(nowMs).toISOString(),
    expiresAt: expiresAfterDays(nowMs, deps.eventRetentionDays),
  };

  if (key === undefined) {
    const handOver = startHandOver(event, target, deps);
    await deps.events.putEvent(event);
    return responseOf(event, await handOver());
  }

  const claim: IdempotencyRecord = {
    tenantId,
    key,
    bodyHash: bodyHash(request),
    eventId: event.id,
    type: event.type,
    createdAt: event.createdAt,
    handedOver: false,
    expiresAt: Math.floor(nowMs / 1000) + IDEMPOTENCY_WINDOW_SECONDS,
  };
  const result = await deps.events.claimIdempotencyKey(claim, Math.floor(nowMs / 1000));
  if (result.claimed) {
    const handOver = startHandOver(event, target, deps);
    await deps.events.putEvent(event);
    const matched = await handOver();
    await deps.events.markHandedOver(tenantId, key);
    return responseOf(event, matched);
  }

  const existing = result.existing;
  if (existing.bodyHash !== claim.bodyHash) {
    throw new HttpError(409, 'idempotency_conflict', 'this Idempotency-Key was already used with a different body');
  }
  // The same body hash: a repeat of a broadcast is a broadcast.
  const original = responseOf({ id: existing.eventId, type: existing.type, createdAt: existing.createdAt, ...(broadcast ? { broadcast } : {}) });
  if (existing.handedOver) return original;
  if (nowMs - Date.parse(existing.createdAt) < IN_FLIGHT_SECONDS * 1000) {
    throw new HttpError(409, 'request_in_progress', 'a request with this Idempotency-Key is still being processed', {
      'retry-after': String(IN_FLIGHT_SECONDS),
    });
  }
  // The first request stopped between its writes: the body is the same, so finish its work.
  const recovered: StoredEvent = { ...event, id: existing.eventId, createdAt: existing.createdAt };
  const handOver = startHandOver(recovered, target, deps);
  await deps.events.putEvent(recovered);
  await handOver();
  await deps.events.markHandedOver(tenantId, key);
  return original;
};

/**
 * The first answer to a publish with this key and body, if one was accepted; undefined for any
 * other case (none, another body, one not handed over) and when the key cannot be read, so the
 * caller keeps its own answer.
 */
const acceptedEarlier = async (tenantId: string, key: string, request: EventToPublish, deps: AcceptEventDeps): Promise<AcceptedEvent | undefined> => {
  let earlier: IdempotencyRecord | undefined;
  try {
    earlier = await deps.events.findIdempotencyKey(tenantId, key, Math.floor(deps.now() / 1000));
  } catch {
    return undefined;
  }
  if (earlier === undefined || !earlier.handedOver || earlier.bodyHash !== bodyHash(request)) return undefined;
  return responseOf({ id: earlier.eventId, type: earlier.type, createdAt: earlier.createdAt, ...(request.broadcast ? { broadcast: true } : {}) });
};

/**
 * The subscription an event published to one is for, read (when ingest can read subscriptions)
 * before anything is stored; 'missing' for one of another owner, or none (a 404).
 */
const targetSubscription = async ({ tenantId, request }: AcceptEventInput, deps: AcceptEventDeps): Promise<Subscription | 'missing' | undefined> => {
  if (request.subscriptionId === undefined || deps.inlineFanOut === undefined) return undefined;
  const owner = request.consumerId === undefined ? { tenantId } : { tenantId, consumerId: request.consumerId };
  const subscription = isId('sub', request.subscriptionId) ? await deps.inlineFanOut.subscription(owner, request.subscriptionId) : undefined;
  return subscription ?? 'missing';
};

const subscriptionNotFound = ({ consumerId, subscriptionId }: EventToPublish): HttpError =>
  new HttpError(404, 'subscription_not_found', `${consumerId === undefined ? 'the tenant' : `consumer "${consumerId}"`} has no subscription ${subscriptionId}`);

const resolveIdempotencyKey = ({ headerIdempotencyKey, request }: AcceptEventInput): string | undefined => {
  const bodyKey = request.idempotencyKey;
  if (headerIdempotencyKey !== undefined && bodyKey !== undefined && headerIdempotencyKey !== bodyKey) {
    throw new HttpError(
      422,
      'idempotency_key_mismatch',
      'the Idempotency-Key header and the idempotencyKey field differ; send one of them',
    );
  }
  return headerIdempotencyKey ?? bodyKey;
};

/**
 * Starts handing the event to fan-out, and answers the hand-over, to call once the event is
 * stored: done here when the set is small (returning the subscriptions it went to), else through
 * the fan-out queue. The inline fan-out's read starts at once, alongside the event's write, so a
 * publish waits for one DynamoDB request less; nothing is sent before the event is stored. A
 * broadcast always goes through the queue: fan-out walks the tenant's consumers, which may be many.
 */
const startHandOver = (event: StoredEvent, target: Subscription | undefined, deps: AcceptEventDeps): (() => Promise<string[] | undefined>) => {
  const message: FanoutMessage = {
    v: 1,
    tenantId: event.tenantId,
    ...(event.consumerId === undefined ? {} : { consumerId: event.consumerId }),
    ...(event.subscriptionId === undefined ? {} : { subscriptionId: event.subscriptionId }),
    ...(event.broadcast ? { broadcast: true } : {}),
    eventId: event.id,
    eventType: event.type,
    createdAt: event.createdAt,
    run: event.id,
    ...inlineData(event.dataJson),
  };
  const prepared = message.broadcast ? Promise.resolve(undefined) : (deps.inlineFanOut?.prepare(message, target) ?? Promise.resolve(undefined));
  // When the event's write fails first, the hand-over never comes and this read's outcome is moot.
  prepared.catch(() => undefined);
  return async () => {
    const send = await prepared;
    if (send !== undefined) return (await send()).subscriptionIds;
    await deps.fanout.publishFanout(message);
    return undefined;
  };
};
