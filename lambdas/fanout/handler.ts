import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createDynamoClient, createSqsClient } from '../aws/clients';
import { DynamoEventStore } from '../aws/dynamo-event-store';
import { DynamoSubscriptionStore } from '../aws/dynamo-subscription-store';
import { createLogger } from '../aws/observability';
import { parseOrDeadLetter, processSqsBatch } from '../aws/sqs-batch';
import { SqsPublisher } from '../aws/sqs-publisher';
import { SqsQueueOps } from '../aws/sqs-queue-ops';
import { requireString } from '../core/config';
import { ENV } from '../core/env-names';
import { fanoutMessageSchema } from '../core/messages';
import { fanOut } from './fan-out';

const env = process.env;
const config = {
  subscriptionsTable: requireString(env, ENV.subscriptionsTable),
  eventsTable: requireString(env, ENV.eventsTable),
  fanoutQueueUrl: requireString(env, ENV.fanoutQueueUrl),
  fanoutDlqUrl: requireString(env, ENV.fanoutDlqUrl),
  deliveryQueueUrl: requireString(env, ENV.deliveryQueueUrl),
};

const dynamo = createDynamoClient();
const sqs = createSqsClient();
const logger = createLogger('fanout');
const publisher = new SqsPublisher(sqs, { fanoutQueueUrl: config.fanoutQueueUrl, deliveryQueueUrl: config.deliveryQueueUrl });
const deps = {
  subscriptions: new DynamoSubscriptionStore(dynamo, config.subscriptionsTable),
  events: new DynamoEventStore(dynamo, config.eventsTable),
  deliveries: publisher,
  fanout: publisher,
  pageSize: 500,
  maxPagesPerInvocation: 20,
};

const deadLetter = { queueOps: new SqsQueueOps(sqs), deadLetterQueueUrl: config.fanoutDlqUrl, logger };

const handleRecord = async (record: SQSRecord): Promise<void> => {
  const message = await parseOrDeadLetter(record, fanoutMessageSchema, deadLetter);
  if (message === undefined) return;
  const result = await fanOut(message, deps);
  logger.info('fan-out', { tenantId: message.tenantId, eventId: message.eventId, run: message.run, ...result });
};

export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>().handler((event, context) =>
  processSqsBatch(event, context, handleRecord),
);
