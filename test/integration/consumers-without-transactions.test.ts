import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConsumerStore } from '../../lambdas/aws/dynamo-consumer-store';
import { DynamoSubscriptionStore } from '../../lambdas/aws/dynamo-subscription-store';
import { TransactionsUnavailableError } from '../../lambdas/core/errors';
import { newId } from '../../lambdas/core/ids';
import { ENV } from '../../lambdas/core/resource-env';
import { awsClientConfig, startEmulators, type Emulators } from '../../local/emulators';
import { createTemplateResources } from '../../local/template/resources';
import { aSubscription } from '../kit/builders';
import { localClients, stackTemplate, uniquePrefix } from '../support/emulators';
import { functionEnvironment, findFunction } from '../../local/template/functions';

/**
 * The local runtime's Java-less DynamoDB (dynalite) has no transactions: writing a consumer's
 * subscription there is refused with its own error (answered 501 transactions_unavailable), not
 * a 500, while the tenant's own subscriptions, which need none, keep working.
 */
describe('Consumers on a DynamoDB without transactions (dynalite)', () => {
  let emulators: Emulators;
  let dynamo: DynamoDBClient;
  let subscriptions: DynamoSubscriptionStore;
  let consumers: DynamoConsumerStore;

  beforeAll(async () => {
    emulators = await startEmulators({ dynamoKind: 'dynalite', log: () => undefined });
    dynamo = new DynamoDBClient(awsClientConfig(emulators.dynamoEndpoint));
    const template = await stackTemplate();
    const resources = await createTemplateResources(template, { sqs: localClients().sqs, dynamo, namePrefix: uniquePrefix('dynalite') });
    const table = functionEnvironment(template, findFunction(template, 'ApiFunction').logicalId, resources)[ENV.subscriptionsTable]!;
    subscriptions = new DynamoSubscriptionStore(dynamo, table);
    consumers = new DynamoConsumerStore(dynamo, table, subscriptions);
  });

  afterAll(async () => {
    dynamo?.destroy();
    await emulators?.stop();
  });

  it("refuses a consumer's subscription with TransactionsUnavailableError, and stores the tenant's own", async () => {
    // Prepare
    const tenantId = newId('key');
    await consumers.put(tenantId, 'acme', {}, '2026-03-01T12:00:00.000Z');

    // Act
    const forConsumer = subscriptions.create(aSubscription({ tenantId, id: newId('sub'), consumerId: 'acme' }));
    const own = await subscriptions.create(aSubscription({ tenantId, id: newId('sub') }));

    // Assess
    await expect(forConsumer).rejects.toBeInstanceOf(TransactionsUnavailableError);
    await expect(forConsumer).rejects.toThrow(/Java 17/);
    expect(own).toBe(true);
  });
});
