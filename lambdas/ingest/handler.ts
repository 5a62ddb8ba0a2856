import { DynamoApiKeyStore } from '../aws/dynamo-api-key-store';
import { DynamoEventStore } from '../aws/dynamo-event-store';
import { createDynamoClient, createSqsClient } from '../aws/clients';
import { createMetrics } from '../aws/metrics';
import { createLogger } from '../aws/logger';
import { SqsPublisher } from '../aws/sqs-publisher';
import { DynamoSubscriptionReader } from '../aws/dynamo-subscription-store';
import { createInlineFanOut } from './inline-fan-out';
import { SnapshotKeys } from '../pipeline/snapshot-keys';
import { requireString, type Env } from '../core/config';
import { loadFunctionSettings } from '../core/settings';
import { ENV, requireResources } from '../core/resource-env';
import { Authenticator } from '../http/authenticator';
import { DynamoRateLimiter, tenantCounterKey } from '../aws/dynamo-rate-limiter';
import { createIngestHandler, type IngestHandlerDeps } from './ingest-handler';

/** The ingest function's AWS clients, stores and settings, as the environment names them. */
export const ingestDependencies = (env: Env): IngestHandlerDeps => {
  const config = {
    ...requireResources(env, ['eventsTable', 'apiKeysTable', 'fanoutQueueUrl']),
    ...loadFunctionSettings('ingest', env),
  };
  const dynamo = createDynamoClient();
  const sqs = createSqsClient();
  const logger = createLogger('ingest');
  const inlineEnabled = config.inlineFanoutLimit > 0;
  const publisher = new SqsPublisher(sqs, {
    fanoutQueueUrl: config.fanoutQueueUrl,
    ...(inlineEnabled ? { deliveryQueueUrl: requireString(env, ENV.deliveryQueueUrl) } : {}),
  });
  const authenticator = new Authenticator(new DynamoApiKeyStore(dynamo, config.apiKeysTable), config.apiKeyCacheSeconds);
  // The snapshot key is derived from the checksum secret the authenticator reads anyway: no read of its own.
  const checksumSettings = { getChecksumSettings: () => authenticator.checksumSettings() };
  const inlineFanOut = inlineEnabled
    ? createInlineFanOut({
        subscriptions: new DynamoSubscriptionReader(dynamo, requireString(env, ENV.subscriptionsTable)),
        deliveries: publisher,
        limit: config.inlineFanoutLimit,
        now: Date.now,
        snapshotKeys: new SnapshotKeys(
          checksumSettings,
          (error) => logger.warn('snapshot key not read: subscriptions go unsealed', { error }),
          Date.now,
          // The authenticator already reads the settings at most once a minute.
          0,
        ),
      })
    : undefined;
  return {
    accept: {
      events: new DynamoEventStore(dynamo, config.eventsTable),
      fanout: publisher,
      now: Date.now,
      eventRetentionDays: config.eventRetentionDays,
      ...(inlineFanOut === undefined ? {} : { inlineFanOut }),
    },
    http: {
      logger,
      authenticator,
      tenantRateLimit: config.tenantRateLimitPerSecond,
      tenantLimiter: () => new DynamoRateLimiter(dynamo, config.eventsTable, tenantCounterKey),
    },
    metrics: createMetrics(logger),
    maxBodyBytes: config.maxBodyBytes,
    successLogSampleRate: config.successLogSampleRate,
    random: Math.random,
  };
};

export const handler = createIngestHandler(ingestDependencies(process.env));
