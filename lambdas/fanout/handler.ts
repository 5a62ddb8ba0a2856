import { createDynamoClient, createSqsClient } from '../aws/clients';
import { DynamoApiKeyStore } from '../aws/dynamo-api-key-store';
import { DynamoConsumerReader } from '../aws/dynamo-consumer-store';
import { DynamoDeliveryStore } from '../aws/dynamo-delivery-store';
import { DynamoEventStore } from '../aws/dynamo-event-store';
import { DynamoSubscriptionReader } from '../aws/dynamo-subscription-store';
import { createMetrics } from '../aws/metrics';
import { createLogger } from '../aws/logger';
import { SqsPublisher } from '../aws/sqs-publisher';
import { SqsQueueOps } from '../aws/sqs-queue-ops';
import type { Env } from '../core/config';
import { requireResources } from '../core/resource-env';
import { SnapshotKeys } from '../pipeline/snapshot-keys';
import { createFanoutHandler, type FanoutHandlerDeps } from './fanout-handler';

/** The fan-out function's AWS clients, stores and queues, as the environment names them. */
export const fanoutDependencies = (env: Env): FanoutHandlerDeps => {
  const config = requireResources(env, ['subscriptionsTable', 'eventsTable', 'deliveriesTable', 'apiKeysTable', 'fanoutQueueUrl', 'fanoutDlqUrl', 'deliveryQueueUrl']);
  const dynamo = createDynamoClient();
  const sqs = createSqsClient();
  const logger = createLogger('fanout');
  const publisher = new SqsPublisher(sqs, { fanoutQueueUrl: config.fanoutQueueUrl, deliveryQueueUrl: config.deliveryQueueUrl });
  return {
    fanOut: {
      subscriptions: new DynamoSubscriptionReader(dynamo, config.subscriptionsTable),
      consumers: new DynamoConsumerReader(dynamo, config.subscriptionsTable),
      events: new DynamoEventStore(dynamo, config.eventsTable),
      deliveries: publisher,
      deliveryLog: new DynamoDeliveryStore(dynamo, config.deliveriesTable),
      fanout: publisher,
      pageSize: 500,
      maxPagesPerInvocation: 20,
      snapshotKeys: new SnapshotKeys(new DynamoApiKeyStore(dynamo, config.apiKeysTable), (error) =>
        logger.warn('snapshot key not read: subscriptions go unsealed', { error }),
      ),
      now: Date.now,
    },
    queueOps: new SqsQueueOps(sqs),
    fanoutDlqUrl: config.fanoutDlqUrl,
    logger,
    metrics: createMetrics(logger),
  };
};

export const handler = createFanoutHandler(fanoutDependencies(process.env));
