import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FinalizeRequestMiddleware, MiddlewareStack } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestTurns } from '../../lambdas/aws/request-turns';
import { awsClientConfig } from '../../local/emulators';
import { localEndpoints } from '../support/emulators';

const BURST = 200;

/** A real SDK client against DynamoDB Local that counts the requests that have left it. */
const countingClient = (turns: RequestTurns | undefined) => {
  const client = new DynamoDBClient(awsClientConfig(localEndpoints().dynamoEndpoint));
  turns?.attach(client);
  const sent = { count: 0 };
  const count: FinalizeRequestMiddleware<object, object> = (next) => (args) => {
    sent.count += 1;
    return next(args);
  };
  (client.middlewareStack as MiddlewareStack<object, object>).add(count, { step: 'finalizeRequest', priority: 'low', name: 'countSent' });
  return { client, sent };
};

describe('Class: RequestTurns, with a real client', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** Starts a burst of requests right after an HTTP request; how many had left when its answer was read. */
  const sentWhenAnswerRead = async (turns: RequestTurns | undefined) => {
    const { client, sent } = countingClient(turns);
    await client.send(new ListTablesCommand({}));
    sent.count = 0;
    const answerRead = new Promise<number>((resolve, reject) =>
      get(url, (res) => {
        res.resume();
        resolve(sent.count);
      }).on('error', reject),
    );
    const burst = Array.from({ length: BURST }, () => client.send(new ListTablesCommand({ Limit: 1 })));
    const sentThen = await answerRead;
    const outcomes = await Promise.allSettled(burst);
    client.destroy();
    return { sentThen, fulfilled: outcomes.filter((outcome) => outcome.status === 'fulfilled').length };
  };

  it('reads an answer that arrives during a burst of requests before the burst has all left', async () => {
    // Act
    const { sentThen, fulfilled } = await sentWhenAnswerRead(new RequestTurns());

    // Assess
    expect(sentThen).toBeLessThan(BURST / 2);
    expect(fulfilled).toBe(BURST);
  });

  it('reads it only after the whole burst without turns, which is what they change', async () => {
    // Act
    const { sentThen } = await sentWhenAnswerRead(undefined);

    // Assess
    expect(sentThen).toBe(BURST);
  });
});
