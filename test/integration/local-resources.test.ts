import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { Duration } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/core/resource-env';
import { awsClientConfig, findExecutable, startEmulators } from '../../local/emulators';
import type { LocalResources } from '../../local/local-resources';
import { asNumber, findResource, isObject, resourcesOfType, RESOURCE_TYPES } from '../../local/template/document';
import { createTemplateResources } from '../../local/template/resources';
import {
  createResourcesFromTemplate,
  createStackResources,
  localClients,
  localEndpoints,
  uniquePrefix,
  type StackResources,
} from '../support/emulators';

const FIXTURE = fileURLToPath(new URL('./fixtures/template.json', import.meta.url));
const HOLD_EMULATORS = fileURLToPath(new URL('./fixtures/hold-emulators.ts', import.meta.url));

/** A fresh copy each time: tests change it, and templates are cached by object identity. */
function fixtureTemplate(): { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> } {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as ReturnType<typeof fixtureTemplate>;
}

const ids = {
  eventsTable: 'EventsTable0A1B2C3D',
  deliveriesTable: 'DeliveriesTable9F8E7D6C',
  workQueue: 'WorkQueue5E6F7A8B',
  workDlq: 'WorkDeadLetterQueue1A2B3C4D',
  ordersQueue: 'OrdersQueue7C8D9E0F',
  ordersDlq: 'OrdersDeadLetterQueue2B3C4D5E',
} as const;

async function queueAttributesOf(queueUrl: string): Promise<Record<string, string>> {
  const { Attributes } = await localClients().sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
  );
  return Attributes ?? {};
}

async function describeTable(tableName: string, dynamo = localClients().dynamo): Promise<TableDescription> {
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table === undefined) throw new Error(`no description of ${tableName}`);
  return Table;
}

async function ttlStatus(tableName: string): Promise<{ status?: string; attribute?: string }> {
  const { TimeToLiveDescription } = await localClients().dynamo.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  return { status: TimeToLiveDescription?.TimeToLiveStatus, attribute: TimeToLiveDescription?.AttributeName };
}

function redrivePolicyOf(attributes: Record<string, string>): unknown {
  return attributes.RedrivePolicy === undefined ? undefined : (JSON.parse(attributes.RedrivePolicy) as unknown);
}

describe('Function: createTemplateResources (fixture template)', () => {
  let prefix: string;
  let resources: LocalResources;

  beforeAll(async () => {
    prefix = uniquePrefix('fixture');
    resources = await createResourcesFromTemplate(fixtureTemplate(), prefix);
  });

  it('creates every table and queue under the prefix', () => {
    // Assess
    expect(Object.keys(resources.byLogicalId).sort()).toEqual(Object.values(ids).sort());
    expect(resources.table(ids.eventsTable).tableName).toBe(`${prefix}-${ids.eventsTable}`);
    expect(resources.queue(ids.ordersQueue).queueName).toBe(`${prefix}-${ids.ordersQueue}.fifo`);
  });

  it('creates tables with the key schema, indexes and on-demand billing of the template', async () => {
    // Act
    const events = await describeTable(resources.table(ids.eventsTable).tableName);
    const deliveries = await describeTable(resources.table(ids.deliveriesTable).tableName);

    // Assess
    expect(events.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(events.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(events.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: 'byType',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status', 'createdAt'] },
      }),
    ]);
    expect(deliveries.LocalSecondaryIndexes).toEqual([
      expect.objectContaining({ IndexName: 'byStatus', Projection: { ProjectionType: 'KEYS_ONLY' } }),
    ]);
  });

  it('turns TTL on where the emulator supports it', async () => {
    // Act
    const events = resources.table(ids.eventsTable);
    const status = await ttlStatus(events.tableName);

    // Assess
    if (localEndpoints().dynamoKind === 'dynamodb-local') {
      expect(events.timeToLive).toEqual({ attributeName: 'expiresAt', enabled: true, applied: true });
      expect(status).toEqual({ status: 'ENABLED', attribute: 'expiresAt' });
    } else {
      expect(events.timeToLive).toEqual({ attributeName: 'expiresAt', enabled: true, applied: false });
    }
  });

  it('creates queues with the attributes of the template and a redrive policy to the created DLQ', async () => {
    // Act
    const attributes = await queueAttributesOf(resources.queue(ids.workQueue).queueUrl);

    // Assess
    expect(attributes).toMatchObject({
      VisibilityTimeout: '180',
      MessageRetentionPeriod: '345600',
      MaximumMessageSize: '262144',
      DelaySeconds: '2',
      ReceiveMessageWaitTimeSeconds: '5',
    });
    expect(redrivePolicyOf(attributes)).toEqual({
      deadLetterTargetArn: resources.queue(ids.workDlq).queueArn,
      maxReceiveCount: 7,
    });
  });

  it('creates FIFO queues as FIFO, with their own DLQ', async () => {
    // Act
    const attributes = await queueAttributesOf(resources.queue(ids.ordersQueue).queueUrl);

    // Assess
    expect(attributes).toMatchObject({ FifoQueue: 'true', ContentBasedDeduplication: 'true', VisibilityTimeout: '60' });
    expect(redrivePolicyOf(attributes)).toEqual({
      deadLetterTargetArn: resources.queue(ids.ordersDlq).queueArn,
      maxReceiveCount: 3,
    });
  });

  it('keeps two copies of a template apart by prefix', async () => {
    // Act
    const other = await createResourcesFromTemplate(fixtureTemplate(), uniquePrefix('fixture'));

    // Assess
    expect(other.queue(ids.workQueue).queueUrl).not.toBe(resources.queue(ids.workQueue).queueUrl);
    expect(other.table(ids.eventsTable).tableName).not.toBe(resources.table(ids.eventsTable).tableName);
  });
});

describe('Redrive in fauxqs, from a template', () => {
  it('moves a message received more than maxReceiveCount times to the DLQ', async () => {
    // Prepare
    const template = {
      Resources: {
        Work: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            VisibilityTimeout: 1,
            RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 2 },
          },
        },
        Dlq: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1209600 } },
      },
    };
    const resources = await createResourcesFromTemplate(template, uniquePrefix('redrive'));
    const { sqs } = localClients();
    const work = resources.queue('Work').queueUrl;
    const dlq = resources.queue('Dlq').queueUrl;
    await sqs.send(new SendMessageCommand({ QueueUrl: work, MessageBody: 'poison' }));
    // Long polls outlast the 1 s visibility timeout, so each receive sees the message come back.
    const receive = (queueUrl: string) =>
      sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          WaitTimeSeconds: 2,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );

    // Act: receive and never delete, as a handler that keeps crashing would.
    const first = await receive(work);
    const second = await receive(work);
    const third = await receive(work);
    const dead = await receive(dlq);

    // Assess
    expect(first.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(third.Messages ?? []).toHaveLength(0);
    expect(dead.Messages?.[0]?.Body).toBe('poison');
    const handle = dead.Messages?.[0]?.ReceiptHandle;
    if (handle !== undefined) await sqs.send(new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: handle }));
  });
});

describe('Changing the template changes the local resources', () => {
  it('follows changed queue and table properties of a template', async () => {
    // Prepare
    const changed = fixtureTemplate();
    const work = changed.Resources[ids.workQueue];
    const events = changed.Resources[ids.eventsTable];
    if (work === undefined || events === undefined) throw new Error('fixture changed');
    work.Properties.VisibilityTimeout = 42;
    work.Properties.RedrivePolicy = {
      deadLetterTargetArn: { 'Fn::GetAtt': [ids.ordersDlq, 'Arn'] },
      maxReceiveCount: 2,
    };
    work.Properties.FifoQueue = true;
    events.Properties.KeySchema = [{ AttributeName: 'id', KeyType: 'HASH' }];
    events.Properties.AttributeDefinitions = [{ AttributeName: 'id', AttributeType: 'S' }];
    delete events.Properties.GlobalSecondaryIndexes;

    // Act
    const resources = await createResourcesFromTemplate(changed, uniquePrefix('changed'));
    const attributes = await queueAttributesOf(resources.queue(ids.workQueue).queueUrl);
    const table = await describeTable(resources.table(ids.eventsTable).tableName);

    // Assess
    expect(resources.queue(ids.workQueue).queueName.endsWith('.fifo')).toBe(true);
    expect(attributes.VisibilityTimeout).toBe('42');
    expect(redrivePolicyOf(attributes)).toEqual({
      deadLetterTargetArn: resources.queue(ids.ordersDlq).queueArn,
      maxReceiveCount: 2,
    });
    expect(table.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(table.GlobalSecondaryIndexes ?? []).toHaveLength(0);
  });
});

describe('Function: startEmulators', () => {
  it('runs dynalite in-process, where TTL settings are skipped without an error', async () => {
    // Prepare
    const notices: string[] = [];
    const emulators = await startEmulators({ dynamoKind: 'dynalite', log: (line) => notices.push(line) });
    const dynamo = new DynamoDBClient(awsClientConfig(emulators.dynamoEndpoint));
    try {
      // Act
      const resources = await createTemplateResources(fixtureTemplate(), {
        sqs: localClients().sqs,
        dynamo,
        namePrefix: uniquePrefix('dynalite'),
      });

      // Assess
      expect(emulators.dynamoKind).toBe('dynalite');
      expect(emulators.dynamoPid).toBeUndefined();
      expect(resources.table(ids.eventsTable).timeToLive?.applied).toBe(false);
      expect((await describeTable(resources.table(ids.eventsTable).tableName, dynamo)).KeySchema).toHaveLength(2);
    } finally {
      dynamo.destroy();
      await emulators.stop();
    }
  });

  it('falls back to dynalite with a one-line notice where no Java is found', async () => {
    // Prepare
    const notices: string[] = [];

    // Act
    const emulators = await startEmulators({ env: { PATH: '' }, log: (line) => notices.push(line) });
    await emulators.stop();

    // Assess
    expect(emulators.dynamoKind).toBe('dynalite');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/dynalite/);
  });

  it('hands the emulator endpoints to test workers through the environment as well', () => {
    // Assess: handler code builds clients without endpoints and must reach the emulators.
    expect(process.env.AWS_ENDPOINT_URL_SQS).toBe(localEndpoints().sqsEndpoint);
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(localEndpoints().dynamoEndpoint);
    expect(process.env.AWS_ACCESS_KEY_ID).toBe('local');
  });

  it.runIf(findExecutable('java', process.env.PATH) !== undefined && process.platform === 'linux')(
    'takes the DynamoDB Local JVM down when its parent is killed outright',
    async () => {
      // Prepare
      const parent = spawn(process.execPath, ['--import', 'tsx', HOLD_EMULATORS], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const dynamoPid = await new Promise<number>((resolve, reject) => {
        let output = '';
        parent.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
          const line = output.split('\n').find((candidate) => candidate.startsWith('{'));
          if (line === undefined) return;
          const parsed: unknown = JSON.parse(line);
          if (isObject(parsed) && typeof parsed.dynamoPid === 'number') resolve(parsed.dynamoPid);
          else reject(new Error(`unexpected output ${line}`));
        });
        parent.once('exit', (code) => reject(new Error(`emulator process exited early (${String(code)})`)));
      });
      expect(isRunning(dynamoPid)).toBe(true);

      // Act: SIGKILL runs no handler in the parent; only the watchdog can clean up.
      parent.kill('SIGKILL');

      // Assess
      await expect.poll(() => isRunning(dynamoPid), { timeout: 10_000, interval: 100 }).toBe(false);
    },
    30_000,
  );
});

/** True while the process runs; a zombie waiting to be reaped by init counts as gone. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

describe('The synthesized stack, created locally', () => {
  let stack: StackResources;

  beforeAll(async () => {
    stack = await createStackResources('stack');
  });

  it('creates every queue and table of the template', () => {
    // Prepare
    const queues = resourcesOfType(stack.template, RESOURCE_TYPES.queue);
    const tables = resourcesOfType(stack.template, RESOURCE_TYPES.table, RESOURCE_TYPES.globalTable);

    // Assess
    expect(queues.length).toBeGreaterThanOrEqual(4);
    expect(tables.length).toBeGreaterThanOrEqual(4);
    for (const queue of queues) expect(stack.queue(queue.logicalId).queueName).toContain(queue.logicalId);
    for (const table of tables) expect(stack.table(table.logicalId).tableName).toContain(table.logicalId);
  });

  it('gives every queue the attributes and redrive wiring of the template', async () => {
    for (const queue of resourcesOfType(stack.template, RESOURCE_TYPES.queue)) {
      // Act
      const attributes = await queueAttributesOf(stack.queue(queue.logicalId).queueUrl);

      // Assess
      for (const name of ['VisibilityTimeout', 'MessageRetentionPeriod', 'MaximumMessageSize'] as const) {
        const declared = queue.properties[name];
        if (declared !== undefined) expect(attributes[name], `${queue.logicalId} ${name}`).toBe(String(declared));
      }
      const redrive = queue.properties.RedrivePolicy;
      if (redrive === undefined) {
        expect(attributes.RedrivePolicy, queue.logicalId).toBeUndefined();
        continue;
      }
      if (!isObject(redrive) || !isObject(redrive.deadLetterTargetArn)) throw new Error('unexpected redrive shape');
      const target = redrive.deadLetterTargetArn['Fn::GetAtt'];
      const dlqId = Array.isArray(target) && typeof target[0] === 'string' ? target[0] : '';
      expect(redrivePolicyOf(attributes), queue.logicalId).toEqual({
        deadLetterTargetArn: stack.queue(dlqId).queueArn,
        maxReceiveCount: asNumber(redrive.maxReceiveCount, 'maxReceiveCount'),
      });
    }
  });

  it('gives every table the key schema and TTL of the template', async () => {
    for (const table of resourcesOfType(stack.template, RESOURCE_TYPES.table, RESOURCE_TYPES.globalTable)) {
      // Act
      const description = await describeTable(stack.table(table.logicalId).tableName);

      // Assess
      expect(description.KeySchema, table.logicalId).toEqual(table.properties.KeySchema);
      const ttl = table.properties.TimeToLiveSpecification;
      if (isObject(ttl) && localEndpoints().dynamoKind === 'dynamodb-local') {
        expect(await ttlStatus(stack.table(table.logicalId).tableName)).toEqual({
          status: 'ENABLED',
          attribute: ttl.AttributeName,
        });
      }
    }
  });

  it('resolves each function environment to the created tables and queues', () => {
    // Act
    const ingest = stack.envForFunction('IngestFunction');
    const delivery = stack.envForFunction('DeliveryFunction');
    const tableNamed = (id: string) =>
      stack.table(findResource(stack.template, id, RESOURCE_TYPES.table).logicalId).tableName;
    const queueNamed = (id: string) =>
      stack.queue(findResource(stack.template, id, RESOURCE_TYPES.queue).logicalId).queueUrl;

    // Assess
    expect(ingest[ENV.eventsTable]).toBe(tableNamed('EventsTable'));
    expect(ingest[ENV.fanoutQueueUrl]).toBe(queueNamed('FanoutQueue'));
    expect(delivery[ENV.deliveriesTable]).toBe(tableNamed('DeliveriesTable'));
    expect(delivery[ENV.deliveryDlqUrl]).toBe(queueNamed('DeliveryDeadLetterQueue'));
    for (const name of ['IngestFunction', 'ApiFunction', 'FanoutFunction', 'DeliveryFunction']) {
      const unresolved = Object.entries(stack.envForFunction(name)).filter(([, value]) =>
        value.startsWith('unresolved:'),
      );
      expect(unresolved, name).toEqual([]);
    }
  });

  it('reads the SQS event sources of the fan-out and delivery functions', () => {
    // Act
    const sources = stack.eventSources.map((source) => ({
      queue: stack.queue(source.queueLogicalId).queueName,
      fn: source.function.constructPath,
      reportBatchItemFailures: source.reportBatchItemFailures,
    }));

    // Assess
    expect(sources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ fn: expect.stringContaining('/FanoutFunction/'), reportBatchItemFailures: true }),
        expect.objectContaining({ fn: expect.stringContaining('/DeliveryFunction/'), reportBatchItemFailures: true }),
      ]),
    );
  });

  it('follows changed stack props into the local queues and event sources', async () => {
    // Act
    const changed = await createStackResources({
      props: { fanout: { deliveryTimeout: Duration.seconds(25), deliveryBatchSize: 20 } },
    });
    const deliveryQueueOf = (resources: StackResources) =>
      resources.queue(findResource(resources.template, 'DeliveryQueue', RESOURCE_TYPES.queue).logicalId);
    const before = await queueAttributesOf(deliveryQueueOf(stack).queueUrl);
    const after = await queueAttributesOf(deliveryQueueOf(changed).queueUrl);
    const declared = findResource(changed.template, 'DeliveryQueue', RESOURCE_TYPES.queue).properties.VisibilityTimeout;
    const deliverySource = changed.eventSources.find((s) => s.function.constructPath?.includes('/DeliveryFunction/'));

    // Assess
    expect(after.VisibilityTimeout).toBe(String(declared));
    expect(after.VisibilityTimeout).not.toBe(before.VisibilityTimeout);
    expect(changed.envForFunction('DeliveryFunction')[ENV.timeoutMs]).toBe('25000');
    expect(deliverySource).toMatchObject({ batchSize: 20, maximumBatchingWindowSeconds: 1 });
  });
});
