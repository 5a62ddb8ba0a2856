import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseOrDeadLetter, processSqsBatch } from '../aws/sqs-batch';
import type { SqsQueueOps } from '../aws/sqs-queue-ops';
import { METRIC_NAMES } from '../core/telemetry-names';
import { fanoutQueueMessageSchema } from '../core/messages';
import { fanOut, type FanOutDeps } from './fan-out';
import { recover, type RecoverDeps } from './recover';

/** What the fan-out function works with; the production set is built from the environment in handler.ts. */
export interface FanoutHandlerDeps {
  fanOut: FanOutDeps & RecoverDeps;
  queueOps: SqsQueueOps;
  fanoutDlqUrl: string;
  logger: Logger;
  metrics: Metrics;
}

/** Each fan-out message of the batch fanned out (or each recovery run), logged and counted. */
export const createFanoutHandler = (deps: FanoutHandlerDeps) => {
  const { logger, metrics } = deps;
  const deadLetter = { queueOps: deps.queueOps, deadLetterQueueUrl: deps.fanoutDlqUrl, logger };

  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const message = await parseOrDeadLetter(record, fanoutQueueMessageSchema, deadLetter);
    if (message === undefined) return;
    if ('kind' in message) {
      const result = await recover(message, deps.fanOut);
      logger.info('recover', { tenantId: message.tenantId, subscriptionId: message.subscriptionId, run: message.run, ...result });
      return;
    }
    const result = await fanOut(message, deps.fanOut);
    logger.info('fan-out', { tenantId: message.tenantId, eventId: message.eventId, run: message.run, ...result });
    // One value per fan-out message: a set beyond one invocation's pages adds one per continuation.
    if ('deliveries' in result) metrics.addMetric(METRIC_NAMES.fanoutDeliveries, MetricUnit.Count, result.deliveries);
  };

  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(logMetrics(metrics, { throwOnEmptyMetrics: false }))
    .handler((event) => processSqsBatch(event, handleRecord));
};
