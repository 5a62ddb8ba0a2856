import { consumerIdSchema, paginationQuerySchema, putConsumerRequestSchema } from '../contract/request-schemas';
import { HttpError } from '../core/errors';
import type { Consumer } from '../core/model';
import type { ConsumerStore, SubscriptionStore } from '../core/ports';
import { requireScope } from '../http/authenticator';
import { principalOf } from '../http/middleware';
import { readJsonBody, validate } from '../http/request-body';
import { json } from '../http/responses';
import type { RouteHandlers, RouteRequest } from '../http/router';
import { disableConsumerSubscriptions, enableConsumerSubscriptions } from './consumer-switch';
import { consumerView, subscriptionPage } from './views';

export interface ConsumerRouteDeps {
  consumers: ConsumerStore;
  subscriptions: Pick<SubscriptionStore, 'list' | 'update'>;
  maxBodyBytes: number;
  now: () => number;
}

export const consumerNotFound = (consumerId: string): HttpError =>
  new HttpError(404, 'consumer_not_found', `no consumer "${consumerId}"; create it with PUT /v1/consumers/{consumerId}`);

type ConsumerOperation =
  | 'putConsumer'
  | 'listConsumers'
  | 'getConsumer'
  | 'deleteConsumer'
  | 'listConsumerSubscriptions'
  | 'disableConsumer'
  | 'enableConsumer';

/** The consumer id of the path: a 422 when it is not one a consumer can have. */
const consumerIdOf = (params: Record<string, string>): string => validate(consumerIdSchema, params.consumerId ?? '', 'consumerId');

/** The tenant's consumers (another tenant's are never found: every key starts with the caller's tenant). */
export const consumerRoutes = (deps: ConsumerRouteDeps): Pick<RouteHandlers, ConsumerOperation> => {
  const existing = async (tenantId: string, consumerId: string): Promise<Consumer> => {
    const consumer = await deps.consumers.get(tenantId, consumerId);
    if (consumer === undefined) throw consumerNotFound(consumerId);
    return consumer;
  };

  const put = async ({ event, context, params }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'subscriptions:write');
    const consumerId = consumerIdOf(params);
    const body = readJsonBody(event, putConsumerRequestSchema, deps.maxBodyBytes);
    const { consumer, created } = await deps.consumers.put(principal.tenantId, consumerId, body, new Date(deps.now()).toISOString());
    return json(created ? 201 : 200, consumerView(consumer));
  };

  const list = async ({ event, context }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'read');
    const query = validate(paginationQuerySchema, event.queryStringParameters ?? {}, 'query');
    const page = await deps.consumers.list(principal.tenantId, query);
    return json(200, { items: page.items.map(consumerView), ...(page.cursor ? { cursor: page.cursor } : {}) });
  };

  const get = async ({ context, params }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'read');
    return json(200, consumerView(await existing(principal.tenantId, consumerIdOf(params))));
  };

  const remove = async ({ context, params }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'subscriptions:write');
    const consumerId = consumerIdOf(params);
    const result = await deps.consumers.delete(principal.tenantId, consumerId);
    if (result === undefined) throw consumerNotFound(consumerId);
    return json(200, { deleted: true, subscriptionsDeleted: result.subscriptionsDeleted });
  };

  const subscriptions = async ({ event, context, params }: RouteRequest) => {
    const principal = principalOf(context);
    requireScope(principal, 'read');
    const query = validate(paginationQuerySchema, event.queryStringParameters ?? {}, 'query');
    const consumer = await existing(principal.tenantId, consumerIdOf(params));
    return json(200, await subscriptionPage(deps.subscriptions, { tenantId: principal.tenantId, consumerId: consumer.id }, query));
  };

  /** Disables or enables every subscription of the consumer, answering the counts. */
  const switchAll =
    (apply: typeof disableConsumerSubscriptions | typeof enableConsumerSubscriptions) =>
    async ({ context, params }: RouteRequest) => {
      const principal = principalOf(context);
      requireScope(principal, 'subscriptions:write');
      const consumer = await existing(principal.tenantId, consumerIdOf(params));
      const owner = { tenantId: principal.tenantId, consumerId: consumer.id };
      return json(200, await apply(deps.subscriptions, owner, new Date(deps.now()).toISOString()));
    };

  return {
    putConsumer: put,
    listConsumers: list,
    getConsumer: get,
    deleteConsumer: remove,
    listConsumerSubscriptions: subscriptions,
    disableConsumer: switchAll(disableConsumerSubscriptions),
    enableConsumer: switchAll(enableConsumerSubscriptions),
  };
};
