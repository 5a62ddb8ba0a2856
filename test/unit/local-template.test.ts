import { describe, expect, it } from 'vitest';
import fixture from '../integration/fixtures/template.json';
import {
  awsClientConfig,
  chooseDynamoKind,
  JavaNotFoundError,
  localAwsEnvironment,
  sqsClientConfig,
  UnknownDynamoKindError,
} from '../../local/emulators';
import { localResources, UnknownLocalResourceError } from '../../local/local-resources';
import { findResource, InvalidTemplateError, readTemplate, ResourceNotFoundError } from '../../local/template/document';
import {
  eventSourceMappings,
  findFunction,
  functionEnvironment,
  functionsOf,
  UnsupportedEventSourceError,
} from '../../local/template/functions';
import {
  createResolver,
  UnresolvableValueError,
  type LocalQueue,
  type LocalResource,
  type LocalTable,
} from '../../local/template/intrinsics';
import {
  createTableInput,
  CyclicReferenceError,
  InvalidNamePrefixError,
  physicalName,
  planLocalResources,
  queueAttributes,
} from '../../local/template/plan';

const ids = {
  eventsTable: 'EventsTable0A1B2C3D',
  deliveriesTable: 'DeliveriesTable9F8E7D6C',
  workQueue: 'WorkQueue5E6F7A8B',
  workDlq: 'WorkDeadLetterQueue1A2B3C4D',
  ordersQueue: 'OrdersQueue7C8D9E0F',
  ordersDlq: 'OrdersDeadLetterQueue2B3C4D5E',
  worker: 'WorkerFunction4B5C6D7E',
  key: 'FixtureKeyA1B2C3D4',
} as const;

const queue = (logicalId: string): LocalQueue => ({
  kind: 'queue',
  logicalId,
  queueName: `p-${logicalId}`,
  queueUrl: `http://127.0.0.1:1/000000000000/p-${logicalId}`,
  queueArn: `arn:aws:sqs:us-east-1:000000000000:p-${logicalId}`,
});
const table = (logicalId: string, streamArn?: string): LocalTable => ({
  kind: 'table',
  logicalId,
  tableName: `p-${logicalId}`,
  tableArn: `arn:aws:dynamodb:us-east-1:000000000000:table/p-${logicalId}`,
  ...(streamArn !== undefined ? { streamArn } : {}),
});

/** The fixture's resources as createTemplateResources would report them. */
const created: Record<string, LocalResource> = {
  [ids.eventsTable]: table(ids.eventsTable),
  [ids.deliveriesTable]: table(ids.deliveriesTable, 'arn:stream'),
  [ids.workQueue]: queue(ids.workQueue),
  [ids.workDlq]: queue(ids.workDlq),
  [ids.ordersQueue]: queue(ids.ordersQueue),
  [ids.ordersDlq]: queue(ids.ordersDlq),
};
const lookup = (id: string): LocalResource | undefined => created[id];

function clone(): { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> } {
  return structuredClone(fixture) as unknown as ReturnType<typeof clone>;
}

describe('Function: readTemplate', () => {
  it('reads resources with their type, properties and metadata', () => {
    // Act
    const template = readTemplate(fixture);

    // Assess
    expect(template.resources.get(ids.workQueue)).toMatchObject({
      type: 'AWS::SQS::Queue',
      metadata: { 'aws:cdk:path': 'Fixture/WorkQueue/Resource' },
    });
    expect(template.parameters.get('BootstrapVersion')?.defaultValue).toBe('/cdk-bootstrap/hnb659fds/version');
  });

  it('names the place of a malformed resource', () => {
    // Act & Assess
    expect(() => readTemplate({ Resources: { Broken: { Properties: {} } } })).toThrow(
      new InvalidTemplateError('Resources.Broken.Type', 'expected a string, got nothing'),
    );
    expect(() => readTemplate([])).toThrow(InvalidTemplateError);
  });
});

describe('Function: findResource', () => {
  it('finds by logical id, construct id or path substring', () => {
    // Act & Assess
    expect(findResource(fixture, ids.workQueue, 'AWS::SQS::Queue').logicalId).toBe(ids.workQueue);
    expect(findResource(fixture, 'WorkQueue', 'AWS::SQS::Queue').logicalId).toBe(ids.workQueue);
    expect(findResource(fixture, 'OrdersDead', 'AWS::SQS::Queue').logicalId).toBe(ids.ordersDlq);
  });

  it('refuses a search that matches several resources', () => {
    // Act & Assess
    expect(() => findResource(fixture, 'DeadLetter', 'AWS::SQS::Queue')).toThrow(ResourceNotFoundError);
  });
});

describe('Function: physicalName', () => {
  it('joins prefix and logical id', () => {
    expect(physicalName('t-abc', 'WorkQueue5E6F7A8B', 'queue')).toBe('t-abc-WorkQueue5E6F7A8B');
  });

  it('replaces characters a queue name may not hold', () => {
    expect(physicalName('my prefix!', 'Work.Queue', 'queue')).toBe('my-prefix-Work-Queue');
    expect(physicalName('my prefix!', 'Work.Table', 'table')).toBe('my-prefix-Work.Table');
  });

  it('cuts long queue names to 80 characters and keeps them apart with a hash', () => {
    // Prepare
    const long = 'x'.repeat(60);

    // Act
    const a = physicalName(long, 'WebhookFanoutDeliveryQueueBBCFACA3', 'queue');
    const b = physicalName(long, 'WebhookFanoutDeliveryQueueCCCFACA3', 'queue');
    const fifo = physicalName(long, 'WebhookFanoutDeliveryQueueBBCFACA3', 'queue', true);

    // Assess
    expect(a).toHaveLength(80);
    expect(a).not.toBe(b);
    expect(fifo).toHaveLength(80);
    expect(fifo.endsWith('.fifo')).toBe(true);
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('refuses a prefix with nothing usable in it', () => {
    expect(() => physicalName('!!!', 'Queue', 'queue')).toThrow(InvalidNamePrefixError);
  });
});

describe('Function: planLocalResources', () => {
  it('plans every table and queue of the template', () => {
    // Act
    const plan = planLocalResources(fixture, 'p');

    // Assess
    expect(plan.tables.map((t) => t.logicalId)).toEqual([ids.eventsTable, ids.deliveriesTable]);
    expect(plan.queues.map((q) => q.logicalId).sort()).toEqual(
      [ids.workQueue, ids.workDlq, ids.ordersQueue, ids.ordersDlq].sort(),
    );
  });

  it('orders every dead-letter queue before the queue that redrives to it', () => {
    // Act
    const order = planLocalResources(fixture, 'p').queues.map((q) => q.logicalId);

    // Assess
    expect(order.indexOf(ids.workDlq)).toBeLessThan(order.indexOf(ids.workQueue));
    expect(order.indexOf(ids.ordersDlq)).toBeLessThan(order.indexOf(ids.ordersQueue));
  });

  it('refuses queues that refer to each other in a cycle', () => {
    // Prepare
    const template = clone();
    const dlq = template.Resources[ids.workDlq];
    if (dlq === undefined) throw new Error('fixture changed');
    dlq.Properties.RedrivePolicy = {
      deadLetterTargetArn: { 'Fn::GetAtt': [ids.workQueue, 'Arn'] },
      maxReceiveCount: 1,
    };

    // Act & Assess
    expect(() => planLocalResources(template, 'p')).toThrow(CyclicReferenceError);
  });

  it('plans an on-demand table with its keys, indexes, stream and TTL, nothing else', () => {
    // Act
    const [events, deliveries] = planLocalResources(fixture, 'p').tables;
    if (events === undefined || deliveries === undefined) throw new Error('tables missing');
    const input = createTableInput(events);

    // Assess
    expect(input).toEqual({
      TableName: `p-${ids.eventsTable}`,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'N' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byType',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status', 'createdAt'] },
        },
      ],
    });
    expect(events.timeToLive).toEqual({ attributeName: 'expiresAt', enabled: true });
    expect(deliveries.type).toBe('AWS::DynamoDB::GlobalTable');
    expect(deliveries.timeToLive).toEqual({ attributeName: 'ttl', enabled: true });
    expect(createTableInput(deliveries)).toMatchObject({
      LocalSecondaryIndexes: [{ IndexName: 'byStatus', Projection: { ProjectionType: 'KEYS_ONLY' } }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });
});

describe('Function: queueAttributes', () => {
  const plans = planLocalResources(fixture, 'p').queues;
  const planOf = (id: string) => {
    const plan = plans.find((q) => q.logicalId === id);
    if (plan === undefined) throw new Error(`no plan for ${id}`);
    return plan;
  };

  it('carries the template attributes and a redrive policy with the created DLQ ARN', () => {
    // Act
    const attributes = queueAttributes(planOf(ids.workQueue), createResolver(fixture, lookup, { strict: true }));

    // Assess
    expect(attributes).toEqual({
      VisibilityTimeout: '180',
      MessageRetentionPeriod: '345600',
      MaximumMessageSize: '262144',
      DelaySeconds: '2',
      ReceiveMessageWaitTimeSeconds: '5',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queue(ids.workDlq).queueArn, maxReceiveCount: 7 }),
    });
  });

  it('reads FIFO settings and numbers written as strings', () => {
    // Act
    const attributes = queueAttributes(planOf(ids.ordersQueue), createResolver(fixture, lookup, { strict: true }));

    // Assess
    expect(planOf(ids.ordersQueue).queueName).toBe(`p-${ids.ordersQueue}.fifo`);
    expect(attributes).toEqual({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
      VisibilityTimeout: '60',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queue(ids.ordersDlq).queueArn, maxReceiveCount: 3 }),
    });
  });

  it('accepts a redrive policy written as a JSON string', () => {
    // Prepare
    const template = clone();
    const work = template.Resources[ids.workQueue];
    if (work === undefined) throw new Error('fixture changed');
    work.Properties.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:elsewhere',
      maxReceiveCount: '4',
    });
    const plan = planLocalResources(template, 'p').queues.find((q) => q.logicalId === ids.workQueue);
    if (plan === undefined) throw new Error('plan missing');

    // Act
    const attributes = queueAttributes(plan, createResolver(template, lookup, { strict: true }));

    // Assess
    expect(JSON.parse(attributes.RedrivePolicy ?? '')).toEqual({
      deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:elsewhere',
      maxReceiveCount: 4,
    });
  });

  it('fails when the dead-letter queue was not created', () => {
    // Prepare
    const nothingCreated = createResolver(fixture, () => undefined, { strict: true });

    // Act & Assess
    expect(() => queueAttributes(planOf(ids.workQueue), nothingCreated)).toThrow(UnresolvableValueError);
  });
});

describe('Function: createResolver', () => {
  const resolve = createResolver(fixture, lookup);

  it('resolves Ref of a table to its name and of a queue to its URL', () => {
    expect(resolve({ Ref: ids.eventsTable })).toBe(`p-${ids.eventsTable}`);
    expect(resolve({ Ref: ids.workQueue })).toBe(queue(ids.workQueue).queueUrl);
  });

  it('resolves the attributes of queues and tables', () => {
    expect(resolve({ 'Fn::GetAtt': [ids.workQueue, 'Arn'] })).toBe(queue(ids.workQueue).queueArn);
    expect(resolve({ 'Fn::GetAtt': `${ids.workQueue}.QueueUrl` })).toBe(queue(ids.workQueue).queueUrl);
    expect(resolve({ 'Fn::GetAtt': [ids.workQueue, 'QueueName'] })).toBe(`p-${ids.workQueue}`);
    expect(resolve({ 'Fn::GetAtt': [ids.eventsTable, 'Arn'] })).toBe(table(ids.eventsTable).tableArn);
    expect(resolve({ 'Fn::GetAtt': [ids.deliveriesTable, 'StreamArn'] })).toBe('arn:stream');
  });

  it('evaluates Join, Select, Split and Sub', () => {
    expect(resolve({ 'Fn::Join': ['/', ['a', { Ref: ids.eventsTable }, 3]] })).toBe(`a/p-${ids.eventsTable}/3`);
    expect(resolve({ 'Fn::Select': [1, { 'Fn::Split': [',', 'x,y,z'] }] })).toBe('y');
    expect(resolve({ 'Fn::Sub': `\${${ids.workQueue}.QueueName}@\${AWS::Region}/\${!Literal}` })).toBe(
      `p-${ids.workQueue}@us-east-1/\${Literal}`,
    );
    expect(resolve({ 'Fn::Sub': ['${Name}-${AWS::AccountId}', { Name: { Ref: ids.eventsTable } }] })).toBe(
      `p-${ids.eventsTable}-000000000000`,
    );
  });

  it('answers pseudo parameters, parameter defaults and AWS::NoValue', () => {
    expect(resolve({ Ref: 'AWS::Partition' })).toBe('aws');
    expect(resolve({ Ref: 'BootstrapVersion' })).toBe('/cdk-bootstrap/hnb659fds/version');
    expect(resolve({ keep: 1, drop: { Ref: 'AWS::NoValue' }, list: ['a', { Ref: 'AWS::NoValue' }] })).toEqual({
      keep: 1,
      list: ['a'],
    });
  });

  it('answers a placeholder for what was not created, or throws when strict', () => {
    // Prepare
    const strict = createResolver(fixture, lookup, { strict: true });

    // Act & Assess
    expect(resolve({ 'Fn::GetAtt': [ids.key, 'Arn'] })).toBe(`unresolved:Fn::GetAtt(${ids.key}.Arn)`);
    expect(resolve({ 'Fn::ImportValue': 'Shared' })).toBe('unresolved:Fn::ImportValue("Shared")');
    expect(() => strict({ 'Fn::GetAtt': [ids.key, 'Arn'] })).toThrow(UnresolvableValueError);
    expect(() => strict({ Ref: 'Nowhere' })).toThrow(UnresolvableValueError);
  });
});

describe('Function: localResources', () => {
  it('returns tables and queues by logical id and refuses the wrong kind', () => {
    // Prepare
    const resources = localResources(fixture, created);

    // Act & Assess
    expect(resources.table(ids.eventsTable).tableName).toBe(`p-${ids.eventsTable}`);
    expect(resources.queue(ids.workDlq).queueArn).toBe(queue(ids.workDlq).queueArn);
    expect(() => resources.queue(ids.eventsTable)).toThrow(UnknownLocalResourceError);
    expect(() => resources.table('toString')).toThrow(UnknownLocalResourceError);
  });
});

describe('Function: functionsOf', () => {
  it('lists functions with their settings and construct path', () => {
    // Act
    const [worker] = functionsOf(fixture);

    // Assess
    expect(worker).toMatchObject({
      logicalId: ids.worker,
      constructPath: 'Fixture/WorkerFunction/Resource',
      handler: 'index.handler',
      runtime: 'nodejs22.x',
      timeoutSeconds: 30,
      memoryMb: 512,
      assetPath: 'asset.0000000000000000000000000000000000000000000000000000000000000000',
    });
  });

  it("applies Lambda's defaults for timeout and memory", () => {
    // Prepare
    const template = { Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler' } } } };

    // Act & Assess
    expect(functionsOf(template)[0]).toMatchObject({ timeoutSeconds: 3, memoryMb: 128, environment: {} });
  });

  it("reads the log format and levels, with Lambda's defaults for what is not set", () => {
    // Prepare
    const withLogging = (LoggingConfig?: object) => ({
      Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler', ...(LoggingConfig ? { LoggingConfig } : {}) } } },
    });

    // Act
    const [plain] = functionsOf(withLogging());
    const [json] = functionsOf(withLogging({ LogFormat: 'JSON', SystemLogLevel: 'WARN' }));

    // Assess
    expect(plain!.logging).toEqual({ format: 'Text', applicationLogLevel: 'INFO', systemLogLevel: 'INFO' });
    expect(json!.logging).toEqual({ format: 'JSON', applicationLogLevel: 'INFO', systemLogLevel: 'WARN' });
  });

  it('finds a function by construct id', () => {
    expect(findFunction(fixture, 'WorkerFunction').logicalId).toBe(ids.worker);
    expect(() => findFunction(fixture, 'IngestFunction')).toThrow(ResourceNotFoundError);
  });
});

describe('Function: functionEnvironment', () => {
  it('resolves every variable against the created resources', () => {
    // Act
    const environment = functionEnvironment(fixture, 'WorkerFunction', localResources(fixture, created));

    // Assess
    expect(environment).toEqual({
      EVENTS_TABLE: `p-${ids.eventsTable}`,
      DELIVERIES_TABLE: `p-${ids.deliveriesTable}`,
      WORK_QUEUE_URL: queue(ids.workQueue).queueUrl,
      WORK_DLQ_ARN: queue(ids.workDlq).queueArn,
      ORDERS_QUEUE_NAME: `p-${ids.ordersQueue}`,
      EVENTS_TABLE_ARN: table(ids.eventsTable).tableArn,
      TABLES: `p-${ids.eventsTable},p-${ids.deliveriesTable}`,
      WHERE: `p-${ids.workQueue}@us-east-1`,
      KEY_ARN: `unresolved:Fn::GetAtt(${ids.key}.Arn)`,
      LOG_LEVEL: 'INFO',
    });
  });
});

describe('Function: eventSourceMappings', () => {
  it('reads the SQS event source with its Lambda settings', () => {
    // Act
    const [mapping] = eventSourceMappings(fixture);

    // Assess
    expect(mapping).toMatchObject({
      functionLogicalId: ids.worker,
      queueLogicalId: ids.workQueue,
      batchSize: 5,
      maximumBatchingWindowSeconds: 2,
      functionResponseTypes: ['ReportBatchItemFailures'],
      reportBatchItemFailures: true,
      maximumConcurrency: 3,
      enabled: true,
      function: { timeoutSeconds: 30, handler: 'index.handler' },
    });
  });

  it("applies Lambda's defaults and follows an alias to its function", () => {
    // Prepare
    const template = {
      Resources: {
        Q: { Type: 'AWS::SQS::Queue' },
        Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
        Live: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { Ref: 'Fn' }, Name: 'live' } },
        Map: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: { FunctionName: { Ref: 'Live' }, EventSourceArn: { 'Fn::GetAtt': ['Q', 'Arn'] } },
        },
      },
    };

    // Act & Assess
    expect(eventSourceMappings(template)[0]).toMatchObject({
      functionLogicalId: 'Fn',
      batchSize: 10,
      maximumBatchingWindowSeconds: 0,
      reportBatchItemFailures: false,
      enabled: true,
    });
    expect(eventSourceMappings(template)[0]?.maximumConcurrency).toBeUndefined();
  });

  it('refuses an event source that is not a queue of the template', () => {
    // Prepare
    const template = clone();
    const mapping = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    if (mapping === undefined) throw new Error('fixture changed');
    mapping.Properties.EventSourceArn = { 'Fn::GetAtt': [ids.deliveriesTable, 'StreamArn'] };

    // Act & Assess
    expect(() => eventSourceMappings(template)).toThrow(UnsupportedEventSourceError);
  });
});

describe('Function: chooseDynamoKind', () => {
  it('prefers DynamoDB Local where Java is, dynalite elsewhere', () => {
    expect(chooseDynamoKind(undefined, true)).toBe('dynamodb-local');
    expect(chooseDynamoKind('', false)).toBe('dynalite');
  });

  it('honours an explicit choice', () => {
    expect(chooseDynamoKind('dynalite', true)).toBe('dynalite');
    expect(chooseDynamoKind('dynamodb-local', true)).toBe('dynamodb-local');
  });

  it('refuses an unknown value, and DynamoDB Local without Java', () => {
    expect(() => chooseDynamoKind('localstack', true)).toThrow(UnknownDynamoKindError);
    expect(() => chooseDynamoKind('dynamodb-local', false)).toThrow(JavaNotFoundError);
  });
});

describe('Function: awsClientConfig', () => {
  it('builds every local client the same way', () => {
    expect(awsClientConfig('http://127.0.0.1:1')).toEqual({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    expect(sqsClientConfig('http://127.0.0.1:2')).toMatchObject({ useQueueUrlAsEndpoint: false });
    expect(localAwsEnvironment({ sqsEndpoint: 'http://s', dynamoEndpoint: 'http://d' })).toMatchObject({
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_SQS: 'http://s',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://d',
    });
  });
});
