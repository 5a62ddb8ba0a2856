import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as z from 'zod/mini';
import { MalformedMessageError, parseMessage } from '../core/messages';
import type { SqsQueueOps } from './sqs-queue-ops';

/**
 * Runs `handleRecord` on every record of an SQS batch concurrently and reports the ones that threw
 * as `batchItemFailures`, so only those return to the queue. A batch whose every record failed is
 * reported the same way rather than thrown: a retry is routine here, not a function error. (A few
 * lines of its own rather than a batch library: nothing more is needed, and every function loads it.)
 */
export const processSqsBatch = async (
  event: SQSEvent,
  handleRecord: (record: SQSRecord) => Promise<void>,
): Promise<SQSBatchResponse> => {
  const outcomes = await Promise.allSettled(event.Records.map(async (record) => handleRecord(record)));
  return {
    batchItemFailures: event.Records.filter((_, index) => outcomes[index]?.status === 'rejected').map((record) => ({
      itemIdentifier: record.messageId,
    })),
  };
};

export interface DeadLetterTarget {
  queueOps: SqsQueueOps;
  deadLetterQueueUrl: string;
  logger: Logger;
}

/**
 * The record's message, or undefined when it can never be processed: such a message is moved to
 * the dead-letter queue with the reason at once (and then deleted as handled), instead of cycling
 * through receives until the redrive policy moves it.
 */
export const parseOrDeadLetter = async <T>(
  record: Pick<SQSRecord, 'messageId' | 'body'>,
  schema: z.core.$ZodType<T>,
  target: DeadLetterTarget,
): Promise<T | undefined> => {
  try {
    return parseMessage(schema, record.body);
  } catch (error) {
    if (!(error instanceof MalformedMessageError)) throw error;
    target.logger.error('malformed message moved to the dead-letter queue', { messageId: record.messageId, reason: error.message });
    await target.queueOps.sendToDeadLetterQueue(target.deadLetterQueueUrl, record.body, error.message);
    return undefined;
  }
};
