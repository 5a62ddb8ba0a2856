import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * Runs `handleRecord` on every record of an SQS batch concurrently and reports the ones that threw
 * as `batchItemFailures`, so only those return to the queue. A batch whose every record failed is
 * reported the same way rather than thrown: a retry is routine here, not a function error.
 */
export const processSqsBatch = (
  event: SQSEvent,
  context: Context,
  handleRecord: (record: SQSRecord) => Promise<void>,
): Promise<SQSBatchResponse> =>
  processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), {
    context,
    processInParallel: true,
    throwOnFullBatchFailure: false,
  });
