import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { CHECKSUM_SETTINGS_PK, RESOURCE_ENV, type ResourceName } from '../../lambdas/core/resource-env';
import type { ResolvedConfig } from './config';
import { consumeQueue, grantItems, grantSend, grantTable } from './function-grants';
import type { Functions } from './functions';
import { acknowledgeKeyGrantWildcards } from './nag';
import type { Queues } from './queues';
import type { Storage } from './storage';

/*
 * Connects each function to the tables and queues it uses: grants of exactly the calls its code
 * makes (function-grants.ts), its event source, and the environment variables naming them.
 */

const SQS_BATCH_SIZE_WITHOUT_WINDOW = 10;

type Resources = Storage & Queues;

export function wireFunctions(functions: Functions, resources: Resources, config: ResolvedConfig): void {
  wireIngest(functions.ingestFunction, resources, config.inlineFanoutLimit > 0);
  wireApi(functions.apiFunction, resources, config.tenantRateLimitPerSecond !== undefined);
  wireFanout(functions.fanoutFunction, resources, config.fanoutMaxConcurrency);
  wireDelivery(functions.deliveryFunction, resources, config.deliveryBatchSize, config.deliveryMaxConcurrency);
  const { ingestFunction, apiFunction, fanoutFunction, deliveryFunction } = functions;
  for (const fn of [ingestFunction, apiFunction, fanoutFunction, deliveryFunction]) acknowledgeKeyGrantWildcards(fn);
}

/**
 * Ingest stores events and their idempotency claims (GetItem, PutItem, UpdateItem; the tenant rate
 * limit's counters are UpdateItems there too) and reads API keys by id. Only with inline fan-out does
 * it read subscriptions (Query) and send to the delivery queue.
 */
function wireIngest(fn: lambda.Function, r: Resources, inlineFanout: boolean): void {
  grantTable(fn, r.eventsTable, r.key, ['GetItem', 'PutItem', 'UpdateItem']);
  grantTable(fn, r.apiKeysTable, r.key, ['GetItem']);
  grantSend(fn, r.fanoutQueue, r.key);
  addResourceEnvironment(fn, r, ['eventsTable', 'apiKeysTable', 'fanoutQueueUrl']);
  if (!inlineFanout) return;
  // Small fan-outs go straight to the delivery queue.
  grantTable(fn, r.subscriptionsTable, r.key, ['Query']);
  grantSend(fn, r.deliveryQueue, r.key);
  addResourceEnvironment(fn, r, ['subscriptionsTable', 'deliveryQueueUrl']);
}

/**
 * The api function manages subscriptions, reads events, the delivery log (Query, BatchGetItem) and
 * API keys by id, and writes the events table only for the tenant rate limit's counters.
 */
function wireApi(fn: lambda.Function, r: Resources, tenantRateLimit: boolean): void {
  grantTable(fn, r.eventsTable, r.key, tenantRateLimit ? ['GetItem', 'UpdateItem'] : ['GetItem']);
  grantTable(fn, r.subscriptionsTable, r.key, ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem']);
  grantTable(fn, r.deliveriesTable, r.key, ['Query', 'BatchGetItem']);
  grantTable(fn, r.apiKeysTable, r.key, ['GetItem']);
  // Replay and recover go through fan-out.
  grantSend(fn, r.fanoutQueue, r.key);
  addResourceEnvironment(fn, r, ['eventsTable', 'subscriptionsTable', 'deliveriesTable', 'apiKeysTable', 'fanoutQueueUrl']);
}

/**
 * Fan-out only reads: a subscription or a page of them, the event, (recoveries) a subscription's
 * delivery records, and the deployment secret's one item, which it seals group messages' subscriptions with.
 */
function wireFanout(fn: lambda.Function, r: Resources, maxConcurrency: number): void {
  grantTable(fn, r.subscriptionsTable, r.key, ['GetItem', 'Query']);
  grantTable(fn, r.eventsTable, r.key, ['GetItem']);
  grantTable(fn, r.deliveriesTable, r.key, ['Query', 'BatchGetItem']);
  grantItems(fn, r.apiKeysTable, r.key, ['GetItem'], [CHECKSUM_SETTINGS_PK]);
  // Large subscriber sets are paged: the function enqueues a continuation of itself.
  grantSend(fn, r.fanoutQueue, r.key);
  grantSend(fn, r.deliveryQueue, r.key);
  grantSend(fn, r.fanoutDeadLetterQueue, r.key);
  consumeQueue(fn, r.fanoutQueue, r.key, { batchSize: 10, maxConcurrency });
  addResourceEnvironment(fn, r, ['eventsTable', 'subscriptionsTable', 'deliveriesTable', 'apiKeysTable', 'fanoutQueueUrl', 'fanoutDlqUrl', 'deliveryQueueUrl']);
}

/**
 * Delivery records attempts, group logs, slow-attempt slots and subscription rate counters in the
 * delivery log (GetItem, PutItem, UpdateItem), reads subscriptions (GetItem, BatchGetItem) and
 * updates them (health, circuit, disable), reads the deployment secret's one item, and publishes
 * operational events as ingest does.
 */
function wireDelivery(fn: lambda.Function, r: Resources, batchSize: number, maxConcurrency: number): void {
  grantTable(fn, r.deliveriesTable, r.key, ['GetItem', 'PutItem', 'UpdateItem']);
  // A group's subscriptions are read in one batch; a 410 Gone, or failing for too long, disables one.
  grantTable(fn, r.subscriptionsTable, r.key, ['GetItem', 'BatchGetItem', 'UpdateItem']);
  // The deployment secret that group messages' sealed subscriptions open with: that item only.
  grantItems(fn, r.apiKeysTable, r.key, ['GetItem'], [CHECKSUM_SETTINGS_PK]);
  // Operational events (webhook.delivery.exhausted, webhook.subscription.disabled) are published
  // like any other: stored, then handed to fan-out.
  grantTable(fn, r.eventsTable, r.key, ['GetItem', 'PutItem', 'UpdateItem']);
  grantSend(fn, r.fanoutQueue, r.key);
  grantSend(fn, r.deliveryDeadLetterQueue, r.key);
  // A delivery of a group message that needs another attempt leaves the group as a message of its own.
  grantSend(fn, r.deliveryQueue, r.key);
  consumeQueue(fn, r.deliveryQueue, r.key, {
    batchSize,
    // Lambda requires a batching window for batches above 10.
    maxBatchingWindow: batchSize > SQS_BATCH_SIZE_WITHOUT_WINDOW ? Duration.seconds(1) : undefined,
    maxConcurrency,
    // Retries wait through the visibility timeout; an invocation held up also takes messages itself.
    extraActions: ['sqs:ChangeMessageVisibility'],
  });
  addResourceEnvironment(fn, r, ['eventsTable', 'subscriptionsTable', 'deliveriesTable', 'apiKeysTable', 'deliveryQueueUrl', 'deliveryDlqUrl', 'fanoutQueueUrl']);
}

/** Each resource's name or URL, as the handlers read it (requireResources). */
const resourceValues = (r: Resources): Record<ResourceName, string> => ({
  eventsTable: r.eventsTable.tableName,
  subscriptionsTable: r.subscriptionsTable.tableName,
  deliveriesTable: r.deliveriesTable.tableName,
  apiKeysTable: r.apiKeysTable.tableName,
  fanoutQueueUrl: r.fanoutQueue.queueUrl,
  fanoutDlqUrl: r.fanoutDeadLetterQueue.queueUrl,
  deliveryQueueUrl: r.deliveryQueue.queueUrl,
  deliveryDlqUrl: r.deliveryDeadLetterQueue.queueUrl,
});

function addResourceEnvironment(fn: lambda.Function, r: Resources, names: readonly ResourceName[]): void {
  const values = resourceValues(r);
  for (const name of names) fn.addEnvironment(RESOURCE_ENV[name], values[name]);
}
