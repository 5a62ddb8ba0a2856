import { createDynamoClient, createSqsClient } from '../aws/clients';
import { DynamoApiKeyStore } from '../aws/dynamo-api-key-store';
import { DynamoConsumerStore } from '../aws/dynamo-consumer-store';
import { DynamoDeliveryStore } from '../aws/dynamo-delivery-store';
import { DynamoEventStore } from '../aws/dynamo-event-store';
import { DynamoSubscriptionStore } from '../aws/dynamo-subscription-store';
import { systemHostResolver } from '../aws/host-resolver';
import { createLogger } from '../aws/logger';
import { SqsPublisher } from '../aws/sqs-publisher';
import type { Env } from '../core/config';
import { parseTargetPolicy } from '../core/delivery-config';
import { requireResources } from '../core/resource-env';
import { loadFunctionSettings } from '../core/settings';
import { subscriptionLimitsOf } from '../core/subscription-limits';
import { Authenticator } from '../http/authenticator';
import { DynamoRateLimiter, tenantCounterKey } from '../aws/dynamo-rate-limiter';
import { createApiHandler, type ApiHandlerDeps } from './api-handler';

/** The API function's AWS clients, stores and settings, as the environment names them. */
export const apiDependencies = (env: Env): ApiHandlerDeps => {
  const settings = loadFunctionSettings('api', env);
  const config = requireResources(env, ['eventsTable', 'subscriptionsTable', 'deliveriesTable', 'apiKeysTable', 'fanoutQueueUrl']);
  const dynamo = createDynamoClient();
  const sqs = createSqsClient();
  const subscriptions = new DynamoSubscriptionStore(dynamo, config.subscriptionsTable);
  return {
    routes: {
      subscriptions,
      consumers: new DynamoConsumerStore(dynamo, config.subscriptionsTable, subscriptions),
      deliveries: new DynamoDeliveryStore(dynamo, config.deliveriesTable),
      events: new DynamoEventStore(dynamo, config.eventsTable),
      fanout: new SqsPublisher(sqs, { fanoutQueueUrl: config.fanoutQueueUrl }),
      targetPolicy: parseTargetPolicy(settings),
      resolveHost: systemHostResolver(),
      secretGraceSeconds: settings.secretGraceSeconds,
      maxBodyBytes: settings.maxBodyBytes,
      limits: subscriptionLimitsOf(settings),
      now: Date.now,
    },
    http: {
      logger: createLogger('api'),
      authenticator: new Authenticator(new DynamoApiKeyStore(dynamo, config.apiKeysTable), settings.apiKeyCacheSeconds),
      tenantRateLimit: settings.tenantRateLimitPerSecond,
      tenantLimiter: () => new DynamoRateLimiter(dynamo, config.eventsTable, tenantCounterKey),
    },
  };
};

export const handler = createApiHandler(apiDependencies(process.env));
