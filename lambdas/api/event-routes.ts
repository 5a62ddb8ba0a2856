import { paginationQuerySchema, replayRequestSchema } from '../contract/request-schemas';
import { HttpError } from '../core/errors';
import { isId, newId } from '../core/ids';
import { inlineData } from '../core/messages';
import { ownerOf, type DeliveryStatus, type StoredEvent, type Subscription } from '../core/model';
import type { DeliveryStore, EventStore, FanoutPublisher, SubscriptionStore } from '../core/ports';
import { requireScope } from '../http/authenticator';
import { principalOf } from '../http/middleware';
import { readJsonBody, validate } from '../http/request-body';
import { json, jsonText } from '../http/responses';
import type { RouteHandlers, RouteRequest } from '../http/router';
import { deliveryView, eventJson } from './views';
import { locateSubscription, requireSubscriptionId, subscriptionNotFound } from './subscription-lookup';

export interface EventRouteDeps {
  events: EventStore;
  subscriptions: SubscriptionStore;
  deliveries: DeliveryStore;
  fanout: FanoutPublisher;
  maxBodyBytes: number;
}

/** The delivery summary of `GET /v1/events/{id}` reads at most this many subscriptions' records. */
export const SUMMARY_SUBSCRIPTION_LIMIT = 1000;
const SUMMARY_PAGE = 100;

const notFound = () => new HttpError(404, 'not_found', 'no such event');

export const eventRoutes = (deps: EventRouteDeps): Pick<RouteHandlers, 'getEvent' | 'listEventDeliveries' | 'replayEvent'> => {
  const existing = async (tenantId: string, id: string): Promise<StoredEvent> => {
    // Only `evt_<ULID>` ids exist; anything else is a 404 without a read (a long one would exceed
    // DynamoDB's key size and fail the request).
    if (!isId('evt', id)) throw notFound();
    const event = await deps.events.getEvent(tenantId, id);
    if (event === undefined) throw notFound();
    return event;
  };

  const get = async ({ context, params }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'read');
    const event = await existing(principal.tenantId, params.id!);
    const counts: Partial<Record<DeliveryStatus, number>> = {};
    let cursor: string | undefined;
    let scanned = 0;
    do {
      const page = await deps.subscriptions.list(ownerOf(event), { limit: SUMMARY_PAGE, ...(cursor ? { cursor } : {}) });
      const records = await deps.deliveries.getForEvent(principal.tenantId, event.id, page.items.map((s) => s.id));
      for (const record of records) counts[record.status] = (counts[record.status] ?? 0) + 1;
      scanned += page.items.length;
      cursor = page.cursor;
    } while (cursor !== undefined && scanned < SUMMARY_SUBSCRIPTION_LIMIT);
    // A broadcast's count is of the tenant's own subscriptions: its consumers' are too many to walk here.
    return jsonText(200, eventJson(event, { deliveries: { ...counts, complete: cursor === undefined && !event.broadcast } }));
  };

  const deliveries = async ({ event: request, context, params }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'read');
    const query = validate(paginationQuerySchema, request.queryStringParameters ?? {}, 'query');
    const event = await existing(principal.tenantId, params.id!);
    // Records are keyed by subscription; a page walks a page of the subscriptions of the event's owner.
    const page = await deps.subscriptions.list(ownerOf(event), query);
    const records = await deps.deliveries.getForEvent(principal.tenantId, event.id, page.items.map((s) => s.id));
    return json(200, { items: records.map(deliveryView), ...(page.cursor ? { cursor: page.cursor } : {}) });
  };

  const replay = async ({ event: request, context, params }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'events:write');
    const body = request.body ? readJsonBody(request, replayRequestSchema, deps.maxBodyBytes) : {};
    const event = await existing(principal.tenantId, params.id!);
    const target = body.subscriptionId === undefined ? undefined : await replayTarget(event, body.subscriptionId);
    const subscriptionId = target?.id ?? event.subscriptionId;
    // A broadcast replayed whole is broadcast again; to one subscription, it goes to that subscription's owner.
    const broadcast = event.broadcast === true && target === undefined;
    const run = newId('run');
    await deps.fanout.publishFanout({
      v: 1,
      ...ownerOf(target ?? event),
      ...(broadcast ? { broadcast } : {}),
      eventId: event.id,
      eventType: event.type,
      createdAt: event.createdAt,
      run,
      ...inlineData(event.dataJson),
      ...(subscriptionId === undefined ? {} : { subscriptionId }),
    });
    return json(202, { eventId: event.id, replayId: run, ...(subscriptionId ? { subscriptionId } : {}), ...(broadcast ? { broadcast } : {}) });
  };

  /**
   * The subscription a replay to one is for: of the event's owner (its consumer's, or the tenant's
   * own), or, for a broadcast, any of the tenant's (its own or a consumer's).
   */
  const replayTarget = async (event: StoredEvent, subscriptionId: string): Promise<Subscription> => {
    if (event.broadcast) return locateSubscription(deps.subscriptions, event.tenantId, subscriptionId);
    const subscription = await deps.subscriptions.get(ownerOf(event), requireSubscriptionId(subscriptionId));
    if (subscription === undefined) throw subscriptionNotFound();
    return subscription;
  };

  return { getEvent: get, listEventDeliveries: deliveries, replayEvent: replay };
};
