import { transformRequestSchema, type TransformRequest } from '../contract/request-schemas';
import { deliveryBody } from '../core/delivery-body';
import { HttpError } from '../core/errors';
import { isId } from '../core/ids';
import type { EventStore, SubscriptionStore } from '../core/ports';
import { checkTransformation } from '../core/transformation';
import { requireScope } from '../http/authenticator';
import { principalOf } from '../http/middleware';
import { readJsonBody } from '../http/request-body';
import { jsonText } from '../http/responses';
import type { RouteHandlers, RouteRequest } from '../http/router';
import { locateSubscription } from './subscription-lookup';

export interface TransformRouteDeps {
  subscriptions: SubscriptionStore;
  events: EventStore;
  maxBodyBytes: number;
  now: () => number;
}

/** A 422 `invalid_transformation` unless the expression compiles and uses nothing refused; the error carries the position. */
export const requireValidTransformation = async (expression: string | null | undefined): Promise<void> => {
  if (expression === undefined || expression === null) return;
  const invalid = await checkTransformation(expression);
  if (invalid === undefined) return;
  const details = invalid.position === undefined ? {} : { position: invalid.position };
  const why = invalid.refused === true ? 'the transformation is refused' : 'the transformation does not compile';
  throw new HttpError(422, 'invalid_transformation', `${why}: ${invalid.message}`, {}, details);
};

/** The event a dry run transforms, as a delivery would see it: type, acceptance time, data text. */
const eventOf = async (tenantId: string, body: TransformRequest, events: EventStore, now: () => number) => {
  if (body.event !== undefined) {
    return { eventType: body.event.type, createdAt: new Date(now()).toISOString(), dataJson: JSON.stringify(body.event.data) };
  }
  const stored = isId('evt', body.eventId!) ? await events.getEvent(tenantId, body.eventId!) : undefined;
  if (stored === undefined) throw new HttpError(404, 'not_found', 'no such event');
  return { eventType: stored.type, createdAt: stored.createdAt, dataJson: stored.dataJson };
};

/**
 * Dry runs: what an endpoint would receive for an event, `{"cancelled": false, "body": ...}` with
 * the body exactly as it would be sent, or `{"cancelled": true}`; a transformation that fails is a
 * 422 `transformation_failed` naming the guard or the error. Nothing is stored or sent.
 */
export const transformRoutes = (deps: TransformRouteDeps): Pick<RouteHandlers, 'transformForSubscription' | 'transformEvent'> => {
  const dryRun = async (tenantId: string, transformation: string | undefined, body: TransformRequest) => {
    await requireValidTransformation(transformation);
    const event = await eventOf(tenantId, body, deps.events, deps.now);
    const result = await deliveryBody(transformation, event, event.dataJson);
    if (result.kind === 'failed') throw new HttpError(422, 'transformation_failed', `the transformation failed: ${result.message}`);
    return jsonText(200, result.kind === 'cancelled' ? '{"cancelled":true}' : `{"cancelled":false,"body":${result.body}}`);
  };

  const forSubscription = async ({ event, context, params }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'read');
    const body = readJsonBody(event, transformRequestSchema, deps.maxBodyBytes);
    const subscription = await locateSubscription(deps.subscriptions, principal.tenantId, params.id!);
    return dryRun(principal.tenantId, body.transformation ?? subscription.transformation, body);
  };

  const standalone = async ({ event, context }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'read');
    const body = readJsonBody(event, transformRequestSchema, deps.maxBodyBytes);
    if (body.transformation === undefined) throw new HttpError(422, 'validation_failed', 'the request body is invalid: transformation: is required');
    return dryRun(principal.tenantId, body.transformation, body);
  };

  return { transformForSubscription: forSubscription, transformEvent: standalone };
};
