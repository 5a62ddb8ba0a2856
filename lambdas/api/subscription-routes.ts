import {
  createSubscriptionRequestSchema,
  subscriptionDeliveriesQuerySchema,
  paginationQuerySchema,
  recoverRequestSchema,
  updateSubscriptionRequestSchema,
} from '../contract/request-schemas';
import { HttpError } from '../core/errors';
import type { EventPattern } from '../core/event-pattern';
import { eventPatternError } from '../core/event-pattern-schema';
import { newId } from '../core/ids';
import { ownerOf, type Subscription } from '../core/model';
import { consumerNotFound } from './consumer-routes';
import { subscriptionPage } from './views';
import { CLOSED_CIRCUIT, type DeliveryStore, type FanoutPublisher, type HostResolver, type SubscriptionChanges, type SubscriptionStore } from '../core/ports';
import { generateSecret } from '../core/signing';
import { checkSubscriptionFields, subscriptionQuotaExceeded, type SubscriptionLimits } from '../core/subscription-limits';
import { checkTargetUrl, isAddressAllowed, type TargetPolicy } from '../core/ssrf';
import { requireScope } from '../http/authenticator';
import { principalOf } from '../http/middleware';
import { readJsonBody, validate } from '../http/request-body';
import { json, noContent } from '../http/responses';
import type { RouteHandlers, RouteRequest } from '../http/router';
import { requireValidTransformation } from './transform-routes';
import { deliveryView, subscriptionView } from './views';
import { locateSubscription, subscriptionNotFound } from './subscription-lookup';

export interface SubscriptionRouteDeps {
  subscriptions: SubscriptionStore;
  deliveries: DeliveryStore;
  fanout: FanoutPublisher;
  targetPolicy: TargetPolicy;
  resolveHost: HostResolver;
  secretGraceSeconds: number;
  maxBodyBytes: number;
  limits: SubscriptionLimits;
  now: () => number;
}

/**
 * The SSRF policy at creation: the URL itself, then every address its host resolves to now. A
 * refusal is a 422 that says why; a name that does not resolve yet is accepted (every delivery
 * resolves and checks again, and pins the connection to the checked address).
 */
const checkUrl = async (url: string, policy: TargetPolicy, resolveHost: HostResolver): Promise<void> => {
  const check = checkTargetUrl(url, policy);
  if (!check.ok) throw new HttpError(422, 'url_not_allowed', check.message);
  if (check.literalAddress !== undefined) return;
  const refused = (await resolveHost(check.hostname))?.find((address) => !isAddressAllowed(address, policy));
  if (refused !== undefined) {
    throw new HttpError(422, 'url_not_allowed', `${check.hostname} resolves to ${refused}, which is not a public address`);
  }
};

/** The payload filter as given (null clears it), or a 422 `invalid_filter` naming where it is wrong. */
const validFilter = <T extends null | undefined>(filter: Record<string, unknown> | T): EventPattern | T => {
  if (filter === null || filter === undefined) return filter;
  const error = eventPatternError(filter);
  if (error !== undefined) throw new HttpError(422, 'invalid_filter', error.message, {}, { path: error.path });
  return filter;
};

type SubscriptionOperation =
  | 'createSubscription'
  | 'listSubscriptions'
  | 'getSubscription'
  | 'updateSubscription'
  | 'deleteSubscription'
  | 'rotateSubscriptionSecret'
  | 'listSubscriptionDeliveries'
  | 'recoverSubscriptionDeliveries';

export const subscriptionRoutes = (deps: SubscriptionRouteDeps): Pick<RouteHandlers, SubscriptionOperation> => {
  const existing = (tenantId: string, id: string): Promise<Subscription> => locateSubscription(deps.subscriptions, tenantId, id);

  const create = async ({ event, context }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'subscriptions:write');
    const body = readJsonBody(event, createSubscriptionRequestSchema, deps.maxBodyBytes);
    checkSubscriptionFields(body, deps.limits);
    await requireValidTransformation(body.transformation);
    const filter = validFilter(body.filter);
    await checkUrl(body.url, deps.targetPolicy, deps.resolveHost);
    const now = new Date(deps.now()).toISOString();
    const secret = generateSecret();
    const subscription: Subscription = {
      tenantId: principal.tenantId,
      id: newId('sub'),
      ...(body.consumerId === undefined ? {} : { consumerId: body.consumerId }),
      url: body.url,
      eventTypes: body.eventTypes,
      ...(filter === undefined ? {} : { filter }),
      ...(body.description === undefined ? {} : { description: body.description }),
      headers: body.headers ?? {},
      ...(body.rateLimitPerSecond === undefined ? {} : { rateLimitPerSecond: body.rateLimitPerSecond }),
      ...(body.transformation === undefined ? {} : { transformation: body.transformation }),
      enabled: true,
      secrets: { current: secret },
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    const { maxSubscriptionsPerTenant } = deps.limits;
    const created = await deps.subscriptions.create(subscription, maxSubscriptionsPerTenant);
    if (created === 'quota_exceeded') throw subscriptionQuotaExceeded(maxSubscriptionsPerTenant, body.consumerId);
    if (created === 'consumer_not_found') throw consumerNotFound(body.consumerId!);
    return json(201, subscriptionView(subscription, secret));
  };

  const list = async ({ event, context }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'read');
    const query = validate(paginationQuerySchema, event.queryStringParameters ?? {}, 'query');
    return json(200, await subscriptionPage(deps.subscriptions, { tenantId: principal.tenantId }, query));
  };

  const get = async ({ context, params }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'read');
    return json(200, subscriptionView(await existing(principal.tenantId, params.id!)));
  };

  const update = async ({ event, context, params }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'subscriptions:write');
    const body = readJsonBody(event, updateSubscriptionRequestSchema, deps.maxBodyBytes);
    checkSubscriptionFields(body, deps.limits);
    await requireValidTransformation(body.transformation);
    const filter = validFilter(body.filter);
    if (body.url !== undefined) await checkUrl(body.url, deps.targetPolicy, deps.resolveHost);
    const now = new Date(deps.now()).toISOString();
    const changes: SubscriptionChanges = { ...body, filter, updatedAt: now };
    if (body.enabled === true) Object.assign(changes, { disabledReason: null, disabledAt: null });
    // A new URL is a new endpoint, and a re-enable says its owner fixed it: either starts closed.
    if (body.url !== undefined || body.enabled === true) Object.assign(changes, CLOSED_CIRCUIT);
    if (body.enabled === false) Object.assign(changes, { disabledReason: 'disabled_by_user', disabledAt: now });
    const current = await existing(principal.tenantId, params.id!);
    const updated = await deps.subscriptions.update(current, current.id, changes);
    if (updated === undefined) throw subscriptionNotFound();
    return json(200, subscriptionView(updated));
  };

  const remove = async ({ context, params }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'subscriptions:write');
    const current = await existing(principal.tenantId, params.id!);
    if (!(await deps.subscriptions.delete(current, current.id))) throw subscriptionNotFound();
    return noContent();
  };

  const rotateSecret = async ({ context, params }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'subscriptions:write');
    const current = await existing(principal.tenantId, params.id!);
    const nowMs = deps.now();
    const secret = generateSecret();
    const updated = await deps.subscriptions.update(current, current.id, {
      secrets: {
        current: secret,
        previous: current.secrets.current,
        previousExpiresAt: new Date(nowMs + deps.secretGraceSeconds * 1000).toISOString(),
      },
      updatedAt: new Date(nowMs).toISOString(),
    });
    if (updated === undefined) throw subscriptionNotFound();
    return json(200, subscriptionView(updated, secret));
  };

  const deliveries = async ({ event, context, params }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'read');
    const query = validate(subscriptionDeliveriesQuerySchema, event.queryStringParameters ?? {}, 'query');
    await existing(principal.tenantId, params.id!);
    const page = await deps.deliveries.listBySubscription(principal.tenantId, params.id!, {
      limit: query.limit,
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.since === undefined ? {} : { since: Date.parse(query.since) }),
      ...(query.until === undefined ? {} : { until: Date.parse(query.until) }),
    });
    return json(200, { items: page.items.map(deliveryView), ...(page.cursor ? { cursor: page.cursor } : {}) });
  };

  const recoverFailed = async ({ event, context, params }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'subscriptions:write');
    const body = readJsonBody(event, recoverRequestSchema, deps.maxBodyBytes);
    const since = Date.parse(body.since);
    const until = body.until === undefined ? deps.now() : Date.parse(body.until);
    if (since > until) throw new HttpError(422, 'validation_failed', 'since must not be in the future');
    const subscription = await existing(principal.tenantId, params.id!);
    if (!subscription.enabled) {
      throw new HttpError(409, 'subscription_disabled', 're-enable the subscription (PATCH {"enabled": true}) before recovering');
    }
    const run = newId('run');
    await deps.fanout.publishFanout({
      v: 1,
      kind: 'recover',
      ...ownerOf(subscription),
      subscriptionId: subscription.id,
      since,
      until,
      run,
    });
    return json(202, { subscriptionId: subscription.id, recoveryId: run, since: body.since, until: new Date(until).toISOString() });
  };

  return {
    createSubscription: create,
    listSubscriptions: list,
    getSubscription: get,
    updateSubscription: update,
    deleteSubscription: remove,
    rotateSubscriptionSecret: rotateSecret,
    listSubscriptionDeliveries: deliveries,
    recoverSubscriptionDeliveries: recoverFailed,
  };
};
