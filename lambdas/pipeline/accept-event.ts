import { createHash } from 'node:crypto';
import { HttpError } from '../core/errors';
import { newId } from '../core/ids';
import { canonicalJsonText } from '../core/json-text';
import { inlineData, type FanoutMessage } from '../core/messages';
import { expiresAfterDays, type EventToPublish, type IdempotencyRecord, type StoredEvent } from '../core/model';
import type { EventStore, FanoutPublisher } from '../core/ports';

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
   * Fans a small fan-out out at once (the ingest function's inline fan-out); undefined means it declined and the
   * event goes to the fan-out queue. Without it every event does.
   */
  inlineFanOut?: (message: FanoutMessage) => Promise<number | undefined>;
}

export interface AcceptEventInput {
  tenantId: string;
  request: EventToPublish;
  /** From the `Idempotency-Key` header; the body's `idempotencyKey` is the fallback. */
  headerIdempotencyKey?: string;
}

/**
 * What a repeat must match: the type and the data's text with keys sorted and whitespace dropped,
 * laid out as the hash of `{type, data}` with sorted keys was before data was kept as text.
 */
const bodyHash = ({ type, dataJson }: EventToPublish): string =>
  createHash('sha256').update(`{"data":${canonicalJsonText(dataJson)},"type":${JSON.stringify(type)}}`).digest('base64url');

/** What the publisher is answered (`202`): the event's id, type and time of acceptance. */
export type AcceptedEvent = Pick<StoredEvent, 'id' | 'type' | 'createdAt'>;

const responseOf = (event: AcceptedEvent): AcceptedEvent => ({
  id: event.id,
  type: event.type,
  createdAt: event.createdAt,
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
  const nowMs = deps.now();
  const event: StoredEvent = {
    tenantId,
    id: newId('evt', nowMs),
    type: request.type,
    dataJson: request.dataJson,
    createdAt: new Date(nowMs).toISOString(),
    expiresAt: expiresAfterDays(nowMs, deps.eventRetentionDays),
  };

  if (key === undefined) {
    await deps.events.putEvent(event);
    await handOver(event, deps);
    return responseOf(event);
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
    await deps.events.putEvent(event);
    await handOver(event, deps);
    await deps.events.markHandedOver(tenantId, key);
    return responseOf(event);
  }

  const existing = result.existing;
  if (existing.bodyHash !== claim.bodyHash) {
    throw new HttpError(409, 'idempotency_conflict', 'this Idempotency-Key was already used with a different body');
  }
  const original = responseOf({ id: existing.eventId, type: existing.type, createdAt: existing.createdAt });
  if (existing.handedOver) return original;
  if (nowMs - Date.parse(existing.createdAt) < IN_FLIGHT_SECONDS * 1000) {
    throw new HttpError(409, 'request_in_progress', 'a request with this Idempotency-Key is still being processed', {
      'retry-after': String(IN_FLIGHT_SECONDS),
    });
  }
  // The first request stopped between its writes: the body is the same, so finish its work.
  const recovered: StoredEvent = { ...event, id: existing.eventId, createdAt: existing.createdAt };
  await deps.events.putEvent(recovered);
  await handOver(recovered, deps);
  await deps.events.markHandedOver(tenantId, key);
  return original;
};

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

/** Hands the event to fan-out: done here when the set is small, else through the fan-out queue. */
const handOver = async (event: StoredEvent, deps: AcceptEventDeps): Promise<void> => {
  const message: FanoutMessage = {
    v: 1,
    tenantId: event.tenantId,
    eventId: event.id,
    eventType: event.type,
    createdAt: event.createdAt,
    run: event.id,
    ...inlineData(event.dataJson),
  };
  if (deps.inlineFanOut !== undefined && (await deps.inlineFanOut(message)) !== undefined) return;
  await deps.fanout.publishFanout(message);
};
