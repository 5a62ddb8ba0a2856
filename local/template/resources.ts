import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { localResources, type LocalResources } from '../local-resources';
import {
  createResolver,
  LOCAL_ACCOUNT_ID,
  type LocalQueue,
  type LocalResource,
  type LocalTable,
  type ResolverOptions,
} from './intrinsics';
import { createTableInput, planLocalResources, queueAttributes, type QueuePlan, type TablePlan } from './plan';

export interface CreateTemplateResourcesOptions {
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBClient;
  /** Starts every physical name, so several copies of a stack can share one emulator. */
  readonly namePrefix: string;
  /** How the returned `resolveValue` answers pseudo parameters and unknown references. */
  readonly resolver?: ResolverOptions;
}

export class LocalResourceCreationError extends Error {
  constructor(
    readonly logicalId: string,
    readonly physicalName: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`could not create ${logicalId} (${physicalName}) locally: ${reason}`, { cause });
    this.name = 'LocalResourceCreationError';
  }
}

/**
 * Creates every DynamoDB table and SQS queue of a synthesized template in the emulators, from the
 * template's own properties, so the local runtime follows whatever the stack declares. Queues are
 * created after the queues they refer to, since a redrive policy needs its DLQ's ARN.
 */
export async function createTemplateResources(
  template: unknown,
  options: CreateTemplateResourcesOptions,
): Promise<LocalResources> {
  const plan = planLocalResources(template, options.namePrefix);
  const created = new Map<string, LocalResource>();
  // A redrive policy pointing at something that was not created must fail here, not at runtime.
  const resolveStrictly = createResolver(template, (id) => created.get(id), { ...options.resolver, strict: true });

  const createQueuesInOrder = async (): Promise<void> => {
    for (const queue of plan.queues) {
      created.set(queue.logicalId, await createQueue(options.sqs, queue, resolveStrictly));
    }
  };
  await Promise.all([
    ...plan.tables.map(async (table) => {
      created.set(table.logicalId, await createTable(options.dynamo, table, options.resolver));
    }),
    createQueuesInOrder(),
  ]);

  const byLogicalId: Record<string, LocalResource> = {};
  for (const { logicalId } of [...plan.tables, ...plan.queues]) {
    const resource = created.get(logicalId);
    if (resource !== undefined) byLogicalId[logicalId] = resource;
  }
  return localResources(template, Object.freeze(byLogicalId), options.resolver);
}

async function createQueue(
  sqs: SQSClient,
  plan: QueuePlan,
  resolveValue: (value: unknown) => unknown,
): Promise<LocalQueue> {
  try {
    const { QueueUrl: queueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: plan.queueName, Attributes: queueAttributes(plan, resolveValue) }),
    );
    if (queueUrl === undefined) throw new Error('CreateQueue answered without a QueueUrl');
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueArn = Attributes?.QueueArn;
    if (queueArn === undefined) throw new Error('GetQueueAttributes answered without a QueueArn');
    return { kind: 'queue', logicalId: plan.logicalId, queueName: plan.queueName, queueUrl, queueArn };
  } catch (error) {
    throw new LocalResourceCreationError(plan.logicalId, plan.queueName, error);
  }
}

async function createTable(
  dynamo: DynamoDBClient,
  plan: TablePlan,
  resolver: ResolverOptions = {},
): Promise<LocalTable> {
  try {
    const { TableDescription: created } = await dynamo.send(new CreateTableCommand(createTableInput(plan)));
    const description = isActive(created) ? created : await waitUntilActive(dynamo, plan.tableName);
    const region = resolver.region ?? 'us-east-1';
    const fallbackArn = `arn:aws:dynamodb:${region}:${resolver.accountId ?? LOCAL_ACCOUNT_ID}:table/${plan.tableName}`;
    const timeToLive =
      plan.timeToLive === undefined
        ? undefined
        : { ...plan.timeToLive, applied: !plan.timeToLive.enabled || (await enableTimeToLive(dynamo, plan)) };
    return {
      kind: 'table',
      logicalId: plan.logicalId,
      tableName: plan.tableName,
      tableArn: description?.TableArn ?? fallbackArn,
      ...(description?.LatestStreamArn !== undefined ? { streamArn: description.LatestStreamArn } : {}),
      ...(timeToLive !== undefined ? { timeToLive } : {}),
    };
  } catch (error) {
    throw new LocalResourceCreationError(plan.logicalId, plan.tableName, error);
  }
}

/** False where the emulator has no TTL API (dynalite): the setting is then skipped, not an error. */
async function enableTimeToLive(dynamo: DynamoDBClient, plan: TablePlan): Promise<boolean> {
  if (plan.timeToLive === undefined) return true;
  try {
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: plan.tableName,
        TimeToLiveSpecification: { AttributeName: plan.timeToLive.attributeName, Enabled: true },
      }),
    );
    return true;
  } catch (error) {
    if (isUnknownOperation(error)) return false;
    throw error;
  }
}

function isUnknownOperation(error: unknown): boolean {
  return (
    error instanceof Error && (error.name === 'UnknownOperationException' || /UnknownOperation/.test(error.message))
  );
}

function isActive(description: TableDescription | undefined): boolean {
  return (
    description?.TableStatus === 'ACTIVE' &&
    (description.GlobalSecondaryIndexes ?? []).every(
      (index) => index.IndexStatus === undefined || index.IndexStatus === 'ACTIVE',
    )
  );
}

/** dynalite reports CREATING for a moment even with createTableMs 0. */
async function waitUntilActive(dynamo: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    if (isActive(Table)) return Table;
    if (Date.now() > deadline) {
      throw new Error(`table ${tableName} is still ${Table?.TableStatus ?? 'unknown'} after 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
