import { Names, type Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/*
 * Grants of exactly the calls a function's code makes (the stores in lambdas/aws/), where the L2
 * grants would add actions nobody calls: grantReadData brings Scan, ConditionCheckItem, stream reads
 * and DescribeTable, grantReadWriteData every write, grantSendMessages GetQueueAttributes and
 * GetQueueUrl, and an SqsEventSource's grantConsumeMessages ChangeMessageVisibility and GetQueueUrl.
 */

/** The DynamoDB calls of the functions' stores. BatchWriteItem, Scan and transactions are made by none. */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem';

const TABLE_WRITES: ReadonlySet<TableAction> = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

/**
 * What server-side encryption under the customer-managed key asks of a caller: the key actions of
 * aws-cdk-lib's own table and queue grants (reads decrypt; writes and sends also encrypt).
 */
const KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
const KEY_WRITE_ACTIONS = ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];

/** What Lambda's poller needs of a queue it reads for an event source mapping. */
const QUEUE_POLL_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];

/** Allows `actions` on the table, and the key actions they need. */
export function grantTable(fn: lambda.Function, table: dynamodb.Table, key: kms.IKey, actions: readonly TableAction[]): void {
  table.grant(fn, ...actions.map((action) => `dynamodb:${action}`));
  const writes = actions.some((action) => TABLE_WRITES.has(action));
  key.grant(fn, ...KEY_READ_ACTIONS, ...(writes ? KEY_WRITE_ACTIONS : []));
}

/**
 * Allows `actions` on the table's items whose partition key is one of `partitionKeys` only (the
 * `dynamodb:LeadingKeys` condition), and the key actions they need.
 */
export function grantItems(fn: lambda.Function, table: dynamodb.Table, key: kms.IKey, actions: readonly TableAction[], partitionKeys: readonly string[]): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: actions.map((action) => `dynamodb:${action}`),
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...partitionKeys] } },
    }),
  );
  const writes = actions.some((action) => TABLE_WRITES.has(action));
  key.grant(fn, ...KEY_READ_ACTIONS, ...(writes ? KEY_WRITE_ACTIONS : []));
}

/** Allows SendMessage (which also authorizes SendMessageBatch) to the queue, and the key actions it needs. */
export function grantSend(fn: lambda.Function, queue: sqs.Queue, key: kms.IKey): void {
  queue.grant(fn, 'sqs:SendMessage');
  key.grant(fn, 'kms:Decrypt', ...KEY_WRITE_ACTIONS);
}

export interface QueueConsumerOptions {
  readonly batchSize: number;
  readonly maxBatchingWindow?: Duration;
  readonly maxConcurrency: number;
  /** Calls the function's code makes on the queue besides the poller's, e.g. `sqs:ChangeMessageVisibility`. */
  readonly extraActions?: readonly string[];
}

/**
 * Makes the queue an event source of the function, reporting batch item failures, and allows the
 * poller's actions. Built as an SqsEventSource builds it (same construct id, so the same logical
 * id), but without the grant of consume rights it adds.
 */
export function consumeQueue(fn: lambda.Function, queue: sqs.Queue, key: kms.IKey, options: QueueConsumerOptions): void {
  fn.addEventSourceMapping(`SqsEventSource:${Names.nodeUniqueId(queue.node)}`, {
    eventSourceArn: queue.queueArn,
    batchSize: options.batchSize,
    maxBatchingWindow: options.maxBatchingWindow,
    maxConcurrency: options.maxConcurrency,
    reportBatchItemFailures: true,
  });
  queue.grant(fn, ...QUEUE_POLL_ACTIONS, ...(options.extraActions ?? []));
  key.grant(fn, 'kms:Decrypt');
}
