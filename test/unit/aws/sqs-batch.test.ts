import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { processSqsBatch } from '../../../lambdas/aws/sqs-batch';

const event = (ids: string[]): SQSEvent => ({ Records: ids.map((messageId) => ({ messageId, body: messageId }) as SQSRecord) });

describe('Function: processSqsBatch', () => {
  it('reports exactly the records whose handling failed, however they failed, and handles all at once', async () => {
    // Prepare
    let inFlight = 0;
    let most = 0;
    const handle = async (record: SQSRecord): Promise<void> => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      if (record.body === 'rejects') throw new Error('no');
    };
    const throwsAtOnce = ((record: SQSRecord) => {
      if (record.body === 'throws') throw new Error('sync');
      return handle(record);
    }) as (record: SQSRecord) => Promise<void>;

    // Act
    const response = await processSqsBatch(event(['a', 'rejects', 'b', 'throws', 'c']), throwsAtOnce);

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'rejects' }, { itemIdentifier: 'throws' }]);
    expect(most).toBe(4);
  });

  it('answers an empty failure list for a batch that went well, and reports a batch that failed whole without throwing', async () => {
    expect(await processSqsBatch(event(['a', 'b']), async () => undefined)).toEqual({ batchItemFailures: [] });
    expect(
      await processSqsBatch(event(['a', 'b']), async () => {
        throw new Error('down');
      }),
    ).toEqual({ batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }] });
  });
});
