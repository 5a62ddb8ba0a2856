import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createDynamoClient, createSqsClient } from '../aws/clients';
import { DynamoDeliveryStore } from '../aws/dynamo-delivery-store';
import { DynamoEventStore } from '../aws/dynamo-event-store';
import { DynamoSubscriptionReader } from '../aws/dynamo-subscription-store';
import { createMetrics } from '../aws/metrics';
import { createLogger } from '../aws/observability';
import { parseOrDeadLetter, processSqsBatch } from '../aws/sqs-batch';
import { SqsPublisher } from '../aws/sqs-publisher';
import { SqsQueueOps } from '../aws/sqs-queue-ops';
import { requireString } from '../core/config';
import { ENV, METRIC_NAMES } from '../core/env-names';
import { fanoutQueueMessageSchema } from '../core/messages';
import { fanOut } from './fan-out';
import { recover } from './recover';

const env = process.env;
const config = {
  subscriptionsTable: requireString(env, ENV.subscriptionsTable),
  eventsTable: requireString(env, ENV.eventsTable),
  deliveriesTable: requireString(env, ENV.deliveriesTable),
  fanoutQueueUrl: requireString(env, ENV.fanoutQueueUrl),
  fanoutDlqUrl: requireString(env, ENV.fanoutDlqUrl),
  deliveryQueueUrl: requireString(env, ENV.deliveryQueueUrl),
};

const dynamo = createDynamoClient();
const sqs = createSqsClient();
const logger = createLogger('fanout');
const metrics = createMetrics(logger);
const publisher = new SqsPublisher(sqs, { fanoutQueueUrl: config.fanoutQueueUrl, deliveryQueueUrl: config.deliveryQueueUrl });
const deps = {
  subscriptions: new DynamoSubscriptionReader(dynamo, config.subscriptionsTable),
  events: new DynamoEventStore(dynamo, config.eventsTable),
  deliveries: publisher,
  deliveryLog: new DynamoDeliveryStore(dynamo, config.deliveriesTable),
  fanout: publisher,
  pageSize: 500,
  maxPagesPerInvocation: 20,
};

const deadLetter = { queueOps: new SqsQueueOps(sqs), deadLetterQueueUrl: config.fanoutDlqUrl, logger };

const handleRecord = async (record: SQSRecord): Promise<void> => {
  const message = await parseOrDeadLetter(record, fanoutQueueMessageSchema, deadLetter);
  if (message === undefined) return;
  if ('kind' in message) {
    const result = await recover(message, deps);
    logger.info('recover', { tenantId: message.tenantId, subscriptionId: message.subscriptionId, run: message.run, ...result });
    return;
  }
  const result = await fanOut(message, deps);
  logger.info('fan-out', { tenantId: message.tenantId, eventId: message.eventId, run: message.run, ...result });
  // One value per fan-out message: a set beyond one invocation's pages adds one per continuation.
  if ('deliveries' in result) metrics.addMetric(METRIC_NAMES.fanoutDeliveries, MetricUnit.Count, result.deliveries);
};

export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>()
  .use(logMetrics(metrics, { throwOnEmptyMetrics: false }))
  .handler((event) => processSqsBatch(event, handleRecord));
