import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '../../lambdas/core/resource-env';
import { awsClientConfig } from '../../local/emulators';
import type { LatencySample } from './noisy-neighbour-stats';

/**
 * How busy the one local DynamoDB is, seen from outside the functions: a GetItem of an item that
 * does not exist, every `everyMs`, from this process with a client of its own. Its answer time is
 * what a function's request waits for the emulator (the functions' own requests are not observed
 * where the meter is off their path).
 */
export const probeDynamo = (endpoint: string, tableName: string, everyMs = 100): { stop(): Promise<LatencySample[]> } => {
  const client = new DynamoDBClient(awsClientConfig(endpoint));
  const samples: LatencySample[] = [];
  const key = { [TABLE_KEYS.partitionKey]: { S: 'bench-probe' }, [TABLE_KEYS.sortKey]: { S: 'bench-probe' } };
  const inFlight = new Set<Promise<void>>();
  const probe = () => {
    const startedAt = performance.now();
    const answer: Promise<void> = client
      .send(new GetItemCommand({ TableName: tableName, Key: key }))
      .then(
        () => void samples.push({ ms: performance.now() - startedAt, received: true }),
        () => undefined,
      )
      .finally(() => inFlight.delete(answer));
    inFlight.add(answer);
  };
  const timer = setInterval(probe, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      client.destroy();
      return samples;
    },
  };
};
