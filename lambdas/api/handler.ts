import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createDynamoClient, createSqsClient } from '../aws/clients';
import { DynamoApiKeyStore } from '../aws/dynamo-api-key-store';
import { DynamoDeliveryStore } from '../aws/dynamo-delivery-store';
import { DynamoEventStore } from '../aws/dynamo-event-store';
import { DynamoSubscriptionStore } from '../aws/dynamo-subscription-store';
import { systemHostResolver } from '../aws/host-resolver';
import { createLogger } from '../aws/observability';
import { SqsPublisher } from '../aws/sqs-publisher';
import { requireString } from '../core/config';
import { parseTargetPolicy } from '../core/delivery-config';
import { ENV } from '../core/env-names';
import { HttpError } from '../core/errors';
import { loadFunctionSettings } from '../core/settings';
import { subscriptionLimitsOf } from '../core/subscription-limits';
import { Authenticator } from '../http/authenticator';
import { authentication, httpErrors, type AuthenticatedContext } from '../http/middleware';
import { json, jsonText, type HttpResult } from '../http/responses';
import { Router, routesOf, type RouteHandlers } from '../http/router';
import { eventRoutes } from './event-routes';
import { openApiJson } from './openapi-document';
import { subscriptionRoutes } from './subscription-routes';
import { DynamoRateLimiter, tenantCounterKey } from '../aws/dynamo-rate-limiter';
import { tenantThrottles } from '../http/tenant-throttle';

const env = process.env;
const settings = loadFunctionSettings('api', env);
const config = {
  eventsTable: requireString(env, ENV.eventsTable),
  subscriptionsTable: requireString(env, ENV.subscriptionsTable),
  deliveriesTable: requireString(env, ENV.deliveriesTable),
  apiKeysTable: requireString(env, ENV.apiKeysTable),
  fanoutQueueUrl: requireString(env, ENV.fanoutQueueUrl),
  targetPolicy: parseTargetPolicy(settings),
  maxBodyBytes: settings.maxBodyBytes,
  apiKeyCacheSeconds: settings.apiKeyCacheSeconds,
  tenantRateLimit: settings.tenantRateLimitPerSecond,
  secretGraceSeconds: settings.secretGraceSeconds,
  subscriptionLimits: subscriptionLimitsOf(settings),
};

const dynamo = createDynamoClient();
const sqs = createSqsClient();
const logger = createLogger('api');
const subscriptions = new DynamoSubscriptionStore(dynamo, config.subscriptionsTable);
const deliveries = new DynamoDeliveryStore(dynamo, config.deliveriesTable);
const events = new DynamoEventStore(dynamo, config.eventsTable);
const authenticator = new Authenticator(new DynamoApiKeyStore(dynamo, config.apiKeysTable), config.apiKeyCacheSeconds);

const publishedElsewhere = async (): Promise<HttpResult> => {
  // POST /v1/events has its own integration; reaching it here means the route table is off.
  throw new HttpError(404, 'not_found', 'events are published through POST /v1/events');
};

const fanout = new SqsPublisher(sqs, { fanoutQueueUrl: config.fanoutQueueUrl });

const router = new Router(
  routesOf({
    getHealth: async () => json(200, { status: 'ok' }),
    getOpenApiDocument: async () => jsonText(200, openApiJson()),
    publishEvent: publishedElsewhere,
    ...subscriptionRoutes({
      subscriptions,
      deliveries,
      fanout,
      targetPolicy: config.targetPolicy,
      resolveHost: systemHostResolver(),
      secretGraceSeconds: config.secretGraceSeconds,
      maxBodyBytes: config.maxBodyBytes,
      limits: config.subscriptionLimits,
      now: Date.now,
    }),
    ...eventRoutes({
      events,
      subscriptions,
      deliveries,
      fanout,
      maxBodyBytes: config.maxBodyBytes,
    }),
  } satisfies RouteHandlers),
);

/** The per-tenant limit, when the stack sets one. */
const tenantLimit = tenantThrottles(config.tenantRateLimit, () => new DynamoRateLimiter(dynamo, config.eventsTable, tenantCounterKey));

export const handler = middy<APIGatewayProxyEventV2, HttpResult, Error, AuthenticatedContext>()
  .use(httpErrors(logger))
  .use(authentication(authenticator, (event) => router.isPublic(event)))
  .use(tenantLimit)
  .handler((event, context) => router.handle(event, context));
