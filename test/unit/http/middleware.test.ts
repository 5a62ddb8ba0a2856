import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { HttpError, InvalidCursorError, TransactionsUnavailableError } from '../../../lambdas/core/errors';
import { httpErrors } from '../../../lambdas/http/middleware';

/** What the error middleware answers for an error a handler threw. */
const answerFor = async (error: Error): Promise<{ statusCode: number; error: { code: string; message: string } }> => {
  const request = { error, response: undefined } as unknown as Parameters<NonNullable<ReturnType<typeof httpErrors>['onError']>>[0];
  await httpErrors(new Logger({ logLevel: 'SILENT' })).onError!(request);
  const response = request.response as unknown as { statusCode: number; body: string };
  return { statusCode: response.statusCode, ...(JSON.parse(response.body) as { error: { code: string; message: string } }) };
};

describe('Function: httpErrors', () => {
  it('answers an HttpError with its own status and code', async () => {
    expect(await answerFor(new HttpError(404, 'not_found', 'no such thing'))).toEqual({ statusCode: 404, error: { code: 'not_found', message: 'no such thing' } });
  });

  it('answers a cursor this API did not hand out with 400 invalid_cursor', async () => {
    expect(await answerFor(new InvalidCursorError('x'))).toMatchObject({ statusCode: 400, error: { code: 'invalid_cursor' } });
  });

  it('answers a DynamoDB without transactions with 501 transactions_unavailable and what to do, not a 500', async () => {
    const answer = await answerFor(new TransactionsUnavailableError('install Java 17 or later'));

    expect(answer).toEqual({ statusCode: 501, error: { code: 'transactions_unavailable', message: 'install Java 17 or later' } });
  });

  it('answers anything else with a 500 that reveals nothing', async () => {
    expect(await answerFor(new Error('secret detail'))).toEqual({
      statusCode: 500,
      error: { code: 'internal_error', message: 'something went wrong on our side; please retry' },
    });
  });
});
