import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DynamoApiKeyStore } from '../aws/dynamo-api-key-store';
import { DynamoEventStore } from '../aws/dynamo-event-store';
import { createDynamoClient, createSqsClient } from '../aws/clients';
import { createMetrics } from '../aws/metrics';
import { createLogger, sampledLevel } from '../aws/observability';
import { SqsPublisher } from '../aws/sqs-publisher';
import { DynamoSubscriptionReader } from '../aws/dynamo-subscription-store';
import { createInlineFanOut, type InlineFanOut } from './inline-fan-out';
import { idempotencyKeySchema } from '../contract/publish-request';
import { requireString } from '../core/config';
import { loadFunctionSettings } from '../core/settings';
import { ENV, METRIC_NAMES } from '../core/env-names';
import { Authenticator, requireScope } from '../http/authenticator';
import { authentication, httpErrors, principalOf, type AuthenticatedContext } from '../http/middleware';
import { header, validate } from '../http/request-body';
import { json, type HttpResult } from '../http/responses';
import { acceptEvent } from '../pipeline/accept-event';
import { readEventRequest } from './event-request';
import { DynamoRateLimiter, tenantCounterKey } from '../aws/dynamo-rate-limiter';
import { tenantThrottles } from '../http/tenant-throttle';

const env = process.env;
const config = {
  eventsTable: requireString(env, ENV.eventsTable),
  apiKeysTable: requireString(env, ENV.apiKeysTable),
  fanoutQueueUrl: requireString(env, ENV.fanoutQueueUrl),
  ...loadFunctionSettings('ingest', env),
};

const dynamo = createDynamoClient();
const sqs = createSqsClient();
const logger = createLogger('ingest');
const metrics = createMetrics(logger);
const events = new DynamoEventStore(dynamo, config.eventsTable);
const inlineEnabled = config.inlineFanoutLimit > 0;
const publisher = new SqsPublisher(sqs, {
  fanoutQueueUrl: config.fanoutQueueUrl,
  ...(inlineEnabled ? { deliveryQueueUrl: requireString(env, ENV.deliveryQueueUrl) } : {}),
});

/** Counts the deliveries of an event fanned out here, as the fan-out function counts its own. */
const counted =
  (fanOut: InlineFanOut): InlineFanOut =>
  async (message) => {
    const deliveries = await fanOut(message);
    if (deliveries !== undefined) metrics.addMetric(METRIC_NAMES.fanoutDeliveries, MetricUnit.Count, deliveries);
    return deliveries;
  };
const inlineFanOut = inlineEnabled
  ? counted(
      createInlineFanOut({
        subscriptions: new DynamoSubscriptionReader(dynamo, requireString(env, ENV.subscriptionsTable)),
        deliveries: publisher,
        limit: config.inlineFanoutLimit,
        now: Date.now,
      }),
    )
  : undefined;
const authenticator = new Authenticator(new DynamoApiKeyStore(dynamo, config.apiKeysTable), config.apiKeyCacheSeconds);

/** `POST /v1/events`: validate, store, hand over to fan-out, answer 202. */
const publishEvent = async (event: APIGatewayProxyEventV2, context: AuthenticatedContext): Promise<HttpResult> => {
  const principal = principalOf(context);
  requireScope(principal, 'events:write');
  const request = readEventRequest(event, config.maxBodyBytes);
  const rawKey = header(event, 'idempotency-key');
  const headerIdempotencyKey = rawKey === undefined ? undefined : validate(idempotencyKeySchema, rawKey, 'Idempotency-Key header');
  const accepted = await acceptEvent(
    { tenantId: principal.tenantId, request, ...(headerIdempotencyKey === undefined ? {} : { headerIdempotencyKey }) },
    {
      events,
      fanout: publisher,
      now: Date.now,
      eventRetentionDays: config.eventRetentionDays,
      ...(inlineFanOut === undefined ? {} : { inlineFanOut }),
    },
  );
  // Sampled like successful deliveries: the API's access log already has a line per request.
  const level = sampledLevel(logger, config.successLogSampleRate, Math.random);
  if (level !== undefined) logger[level]('event accepted', { tenantId: principal.tenantId, eventId: accepted.id, type: accepted.type });
  metrics.addMetric(METRIC_NAMES.eventsAccepted, MetricUnit.Count, 1);
  return json(202, accepted);
};

/** The per-tenant limit, when the stack sets one. */
const tenantLimit = tenantThrottles(config.tenantRateLimitPerSecond, () => new DynamoRateLimiter(dynamo, config.eventsTable, tenantCounterKey));

export const handler = middy<APIGatewayProxyEventV2, HttpResult, Error, AuthenticatedContext>()
  .use(logMetrics(metrics, { throwOnEmptyMetrics: false }))
  .use(httpErrors(logger))
  .use(authentication(authenticator))
  .use(tenantLimit)
  .handler(publishEvent);
