import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { ENV, TABLE_KEYS } from '../../lambdas/core/resource-env';
import { WebhookFanoutPropsError, type WebhookFanoutProps } from '../../lib/webhook-fanout';
import {
  actionsOf,
  allowedActionsOn,
  buildConstruct,
  createTestApp,
  logicalId,
  resource,
  resourcesOfType,
  statementsOfRole,
  synthStack,
} from './synth';

const defaults = synthStack();
const { stack, fanout, template } = defaults;

const ids = {
  key: logicalId(stack, fanout.key),
  eventsTable: logicalId(stack, fanout.eventsTable),
  subscriptionsTable: logicalId(stack, fanout.subscriptionsTable),
  deliveriesTable: logicalId(stack, fanout.deliveriesTable),
  apiKeysTable: logicalId(stack, fanout.apiKeysTable),
  fanoutQueue: logicalId(stack, fanout.fanoutQueue),
  fanoutDeadLetterQueue: logicalId(stack, fanout.fanoutDeadLetterQueue),
  deliveryQueue: logicalId(stack, fanout.deliveryQueue),
  deliveryDeadLetterQueue: logicalId(stack, fanout.deliveryDeadLetterQueue),
  ingestFunction: logicalId(stack, fanout.ingestFunction),
  apiFunction: logicalId(stack, fanout.apiFunction),
  fanoutFunction: logicalId(stack, fanout.fanoutFunction),
  deliveryFunction: logicalId(stack, fanout.deliveryFunction),
};
const roles = {
  ingest: logicalId(stack, fanout.ingestFunction.role!),
  api: logicalId(stack, fanout.apiFunction.role!),
  fanout: logicalId(stack, fanout.fanoutFunction.role!),
  delivery: logicalId(stack, fanout.deliveryFunction.role!),
};
const tableIds = [ids.eventsTable, ids.subscriptionsTable, ids.deliveriesTable, ids.apiKeysTable];
const queueIds = [ids.fanoutQueue, ids.fanoutDeadLetterQueue, ids.deliveryQueue, ids.deliveryDeadLetterQueue];

function environmentOf(functionId: string, template = defaults.template): Record<string, unknown> {
  const environment = resource(template, functionId).Properties.Environment as { Variables: Record<string, unknown> };
  return environment.Variables;
}

/** The environment of each of the four functions of a construct built with `props`. */
function functionEnvironments(props: WebhookFanoutProps): Record<string, unknown>[] {
  const functions = Template.fromStack(Stack.of(buildConstruct(props))).findResources('AWS::Lambda::Function');
  return Object.values(functions).map((fn) => (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables);
}

function getAttId(value: unknown): string {
  const id = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
  if (!id) throw new Error(`expected Fn::GetAtt, got ${JSON.stringify(value)}`);
  return id;
}

function refId(value: unknown): string {
  const id = (value as { Ref?: string }).Ref;
  if (!id) throw new Error(`expected Ref, got ${JSON.stringify(value)}`);
  return id;
}

describe('Construct: WebhookFanout', () => {
  describe('HTTP API', () => {
    it('routes POST /v1/events to ingest and ANY /{proxy+} to api, and nothing else', () => {
      const routes = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route'));
      const integrations = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration');

      const targets = Object.fromEntries(
        routes.map((route) => {
          const integrationId = JSON.stringify(route.Properties.Target).match(/"Ref":"([^"]+)"/)?.[1] ?? '';
          const integration = integrations[integrationId];
          expect(integration?.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
          return [route.Properties.RouteKey, getAttId(integration?.Properties.IntegrationUri)];
        }),
      );

      expect(targets).toEqual({ 'POST /v1/events': ids.ingestFunction, 'ANY /{proxy+}': ids.apiFunction });
    });

    it('leaves authentication to the functions', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
      template.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'NONE' });
    });

    it('throttles the default stage and logs access', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
        AccessLogSettings: { DestinationArn: Match.anyValue() },
      });

      const custom = synthStack({ apiThrottle: { rateLimit: 50, burstLimit: 100 } }).template;

      custom.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      });
    });
  });

  describe('Functions', () => {
    it('runs four Node.js 22 arm64 functions with their timeouts', () => {
      template.resourceCountIs('AWS::Lambda::Function', 4);
      template.allResourcesProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 256,
        LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      });
      const timeouts = Object.fromEntries(
        [ids.ingestFunction, ids.apiFunction, ids.fanoutFunction, ids.deliveryFunction].map((id) => [
          id,
          resource(template, id).Properties.Timeout,
        ]),
      );

      expect(timeouts).toEqual({
        [ids.ingestFunction]: 10,
        [ids.apiFunction]: 15,
        [ids.fanoutFunction]: 300,
        [ids.deliveryFunction]: 30,
      });
    });

    it('gives the delivery function 15 s more than the delivery timeout', () => {
      const custom = synthStack({ deliveryTimeout: Duration.seconds(20) });
      const deliveryId = logicalId(custom.stack, custom.fanout.deliveryFunction);

      expect(resource(custom.template, deliveryId).Properties.Timeout).toBe(35);
      expect(environmentOf(deliveryId, custom.template)[ENV.timeoutMs]).toBe('20000');
    });

    it('gives all endpoints together half the delivery concurrency for slow attempts unless set', () => {
      const halved = synthStack({ deliveryMaxConcurrency: 9 });
      const set = synthStack({ deliveryMaxConcurrency: 9, maxSlowAttempts: 8 });
      const deliveryOf = (synthed: typeof halved) => environmentOf(logicalId(synthed.stack, synthed.fanout.deliveryFunction), synthed.template);

      expect(environmentOf(ids.deliveryFunction)[ENV.maxSlowAttempts]).toBe('25');
      expect(deliveryOf(halved)[ENV.maxSlowAttempts]).toBe('4');
      expect(deliveryOf(set)[ENV.maxSlowAttempts]).toBe('8');
    });

    it('gives every function its own log group with a retention', () => {
      const logGroups = resourcesOfType(template, 'AWS::Logs::LogGroup');
      const functions = Object.values(resourcesOfType(template, 'AWS::Lambda::Function'));
      const functionLogGroups = functions.map((fn) =>
        refId((fn.Properties.LoggingConfig as { LogGroup: unknown }).LogGroup),
      );

      expect(new Set(functionLogGroups).size).toBe(4);
      for (const id of functionLogGroups) expect(logGroups[id]?.Properties.RetentionInDays).toBe(30);
    });

    it('hands every function the shared configuration', () => {
      for (const id of [ids.ingestFunction, ids.apiFunction, ids.fanoutFunction, ids.deliveryFunction]) {
        expect(environmentOf(id)).toMatchObject({
          [ENV.retrySchedule]: '5,300,1800,7200,18000,36000,36000',
          [ENV.timeoutMs]: '15000',
          [ENV.allowedPrivateNetworks]: '',
          [ENV.allowHttp]: 'false',
          [ENV.maxBodyBytes]: '262144',
          [ENV.eventRetentionDays]: '30',
          [ENV.deliveryLogRetentionDays]: '30',
          [ENV.secretGraceSeconds]: '86400',
          [ENV.apiKeyCacheSeconds]: '30',
          POWERTOOLS_SERVICE_NAME: 'webhook-fanout',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        });
      }
    });

    it('names only the tables and queues each function uses', () => {
      const resourceNames = (id: string): string[] =>
        Object.keys(environmentOf(id))
          .filter((name) => /_(TABLE|URL)$/.test(name))
          .sort();

      expect(resourceNames(ids.ingestFunction)).toEqual(
        [ENV.apiKeysTable, ENV.deliveryQueueUrl, ENV.eventsTable, ENV.fanoutQueueUrl, ENV.subscriptionsTable].sort(),
      );
      expect(resourceNames(ids.apiFunction)).toEqual(
        [ENV.apiKeysTable, ENV.deliveriesTable, ENV.eventsTable, ENV.fanoutQueueUrl, ENV.subscriptionsTable].sort(),
      );
      expect(resourceNames(ids.fanoutFunction)).toEqual(
        [ENV.apiKeysTable, ENV.deliveriesTable, ENV.deliveryQueueUrl, ENV.eventsTable, ENV.fanoutDlqUrl, ENV.fanoutQueueUrl, ENV.subscriptionsTable].sort(),
      );
      expect(resourceNames(ids.deliveryFunction)).toEqual(
        [ENV.apiKeysTable, ENV.deliveriesTable, ENV.deliveryDlqUrl, ENV.deliveryQueueUrl, ENV.eventsTable, ENV.fanoutQueueUrl, ENV.subscriptionsTable].sort(),
      );
      expect(environmentOf(ids.deliveryFunction)[ENV.deliveryDlqUrl]).toEqual({ Ref: ids.deliveryDeadLetterQueue });
    });

    it('passes the configuration props through', () => {
      const vpcStack = new Stack(createTestApp(), 'Custom');
      const vpc = new ec2.Vpc(vpcStack, 'Vpc', { maxAzs: 2, natGateways: 1 });
      const custom = buildConstruct(
        {
          vpc,
          allowedPrivateNetworks: ['10.0.0.0/8', 'fd00::/8'],
          allowHttp: true,
          retrySchedule: [Duration.seconds(1), Duration.minutes(1)],
          maxBodySize: 300 * 1024,
          eventRetention: Duration.days(7),
          apiKeyCacheTtl: Duration.seconds(0),
        },
        vpcStack,
      );
      const customTemplate = Template.fromStack(vpcStack);

      expect(environmentOf(logicalId(vpcStack, custom.deliveryFunction), customTemplate)).toMatchObject({
        [ENV.allowedPrivateNetworks]: '10.0.0.0/8,fd00::/8',
        [ENV.allowHttp]: 'true',
        [ENV.retrySchedule]: '1,60',
        [ENV.maxBodyBytes]: '307200',
        [ENV.eventRetentionDays]: '7',
        [ENV.apiKeyCacheSeconds]: '0',
      });
    });

    it('runs only the delivery function in the VPC, in its private subnets', () => {
      const vpcStack = new Stack(createTestApp(), 'Custom');
      const vpc = new ec2.Vpc(vpcStack, 'Vpc', { maxAzs: 2, natGateways: 1 });
      const custom = buildConstruct({ vpc }, vpcStack);
      const customTemplate = Template.fromStack(vpcStack);
      const privateSubnetIds = vpc.privateSubnets.map((subnet) => logicalId(vpcStack, subnet));

      const functions = resourcesOfType(customTemplate, 'AWS::Lambda::Function');
      const inVpc = Object.keys(functions).filter((id) => functions[id]?.Properties.VpcConfig !== undefined);
      const subnetIds = (functions[logicalId(vpcStack, custom.deliveryFunction)]?.Properties.VpcConfig as {
        SubnetIds: unknown[];
      }).SubnetIds.map(refId);

      expect(inVpc).toEqual([logicalId(vpcStack, custom.deliveryFunction)]);
      expect(subnetIds.sort()).toEqual(privateSubnetIds.sort());
      expect(resource(template, ids.deliveryFunction).Properties.VpcConfig).toBeUndefined();
    });
  });

  describe('Tables', () => {
    it('are on-demand, recoverable, expiring, encrypted with the key and retained', () => {
      expect(Object.keys(resourcesOfType(template, 'AWS::DynamoDB::Table')).sort()).toEqual([...tableIds].sort());
      for (const id of tableIds) {
        const table = resource(template, id);

        expect(table.DeletionPolicy).toBe('Retain');
        expect(table.Properties).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] } },
        });
      }
    });

    it('key on pk, and on sk for subscriptions and deliveries only', () => {
      const keySchema = (id: string): unknown => resource(template, id).Properties.KeySchema;
      const hashOnly = [{ AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' }];
      const hashAndRange = [...hashOnly, { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' }];

      expect(keySchema(ids.eventsTable)).toEqual(hashOnly);
      expect(keySchema(ids.apiKeysTable)).toEqual(hashOnly);
      expect(keySchema(ids.subscriptionsTable)).toEqual(hashAndRange);
      expect(keySchema(ids.deliveriesTable)).toEqual(hashAndRange);
    });

    it('follow the removalPolicy prop', () => {
      const custom = synthStack({ removalPolicy: RemovalPolicy.DESTROY }).template;

      for (const table of Object.values(resourcesOfType(custom, 'AWS::DynamoDB::Table'))) {
        expect(table.DeletionPolicy).toBe('Delete');
      }
    });
  });

  describe('Key', () => {
    it('is one customer-managed key with rotation, retained', () => {
      template.resourceCountIs('AWS::KMS::Key', 1);
      expect(resource(template, ids.key).Properties.EnableKeyRotation).toBe(true);
      expect(resource(template, ids.key).DeletionPolicy).toBe('Retain');
    });

    it('can be brought by the caller', () => {
      const keyStack = new Stack(createTestApp(), 'Custom');
      const key = new kms.Key(keyStack, 'OwnKey', { enableKeyRotation: true });
      const custom = buildConstruct({ encryptionKey: key }, keyStack);

      expect(custom.key).toBe(key);
      Template.fromStack(keyStack).resourceCountIs('AWS::KMS::Key', 1);
    });
  });

  describe('Queues', () => {
    it('are KMS encrypted, take 1 MiB messages and keep them 14 days', () => {
      template.resourceCountIs('AWS::SQS::Queue', 4);
      for (const id of queueIds) {
        expect(resource(template, id).Properties).toMatchObject({
          KmsMasterKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] },
                    MaximumMessageSize: 1048576,
          MessageRetentionPeriod: 1209600,
        });
        expect(resource(template, id).Properties.KmsDataKeyReusePeriodSeconds).toBeGreaterThanOrEqual(3600);
      }
    });

    it('redrive to their own dead-letter queue', () => {
      const redrive = (id: string): unknown => resource(template, id).Properties.RedrivePolicy;

      expect(redrive(ids.fanoutQueue)).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [ids.fanoutDeadLetterQueue, 'Arn'] },
        maxReceiveCount: 10,
      });
      expect(redrive(ids.deliveryQueue)).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [ids.deliveryDeadLetterQueue, 'Arn'] },
        maxReceiveCount: 100,
      });
      expect(redrive(ids.fanoutDeadLetterQueue)).toBeUndefined();
      expect(redrive(ids.deliveryDeadLetterQueue)).toBeUndefined();
    });

    it('hide a message for at least six times its consumer timeout', () => {
      const mappings = Object.values(resourcesOfType(template, 'AWS::Lambda::EventSourceMapping'));

      expect(mappings).toHaveLength(2);
      for (const mapping of mappings) {
        const queue = resource(template, getAttId(mapping.Properties.EventSourceArn));
        const consumer = resource(template, refId(mapping.Properties.FunctionName));

        expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (consumer.Properties.Timeout as number));
      }
    });

    it('refuse requests without TLS', () => {
      const policies = Object.values(resourcesOfType(template, 'AWS::SQS::QueuePolicy'));

      for (const id of queueIds) {
        const policy = policies.find((p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: id }]));
        const statements = (policy?.Properties.PolicyDocument as { Statement: unknown[] } | undefined)?.Statement;

        expect(statements).toContainEqual(
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        );
      }
    });
  });

  describe('Event source mappings', () => {
    it('report batch item failures and cap concurrency', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [ids.fanoutQueue, 'Arn'] },
        FunctionName: { Ref: ids.fanoutFunction },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 10 },
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [ids.deliveryQueue, 'Arn'] },
        FunctionName: { Ref: ids.deliveryFunction },
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: Match.absent(),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 50 },
      });
    });

    it('add a batching window to delivery batches above 10', () => {
      const custom = synthStack({ deliveryBatchSize: 100, deliveryMaxConcurrency: 200, fanoutMaxConcurrency: 5 });

      custom.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalId(custom.stack, custom.fanout.deliveryFunction) },
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 1,
        ScalingConfig: { MaximumConcurrency: 200 },
      });
      custom.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalId(custom.stack, custom.fanout.fanoutFunction) },
        ScalingConfig: { MaximumConcurrency: 5 },
      });
    });
  });

  describe('IAM', () => {
    it('allows no wildcard actions', () => {
      const statements = Object.values(roles).flatMap((role) => statementsOfRole(template, role));

      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements.filter((s) => s.Effect === 'Allow')) {
        for (const action of actionsOf(statement)) expect(action).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
      }
    });

    // test/infra/iam.test.ts pins every role's actions per resource.
  });

  describe('Dashboard', () => {
    it('charts the API, the queues and the functions', () => {
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      const body = JSON.stringify(Object.values(resourcesOfType(template, 'AWS::CloudWatch::Dashboard'))[0]);

      for (const metric of ['5xx', 'Latency', 'ApproximateAgeOfOldestMessage', 'Throttles', 'Duration', 'Errors']) {
        expect(body).toContain(metric);
      }
      for (const id of [...queueIds, ids.ingestFunction, ids.apiFunction, ids.fanoutFunction, ids.deliveryFunction]) {
        expect(body).toContain(id);
      }
    });

    it('exposes metrics for alarms', () => {
      expect(fanout.metricDeadLetterQueueDepth().toMetricConfig().mathExpression?.expression).toBe('fanout + delivery');
      expect(fanout.metricDeliveryQueueDepth().metricName).toBe('ApproximateNumberOfMessagesVisible');
      expect(fanout.metricApiServerErrors().metricName).toBe('5xx');
    });
  });

  describe('Validation', () => {
    const vpcStack = (): { stack: Stack; vpc: ec2.Vpc } => {
      const scope = new Stack(createTestApp(), 'Custom');
      return { stack: scope, vpc: new ec2.Vpc(scope, 'Vpc') };
    };

    const forbidden = [
      '127.0.0.0/8',
      '127.0.0.1/32',
      '10.0.0.0/0',
      '169.254.169.254/32',
      '0.0.0.0/32',
      '::1/128',
      'fe80::1/64',
      '::/0',
      '::ffff:127.0.0.1/128',
    ];

    it.each(forbidden)('refuses %s in allowedPrivateNetworks, naming it', (cidr) => {
      const { stack: scope, vpc } = vpcStack();

      expect(() => buildConstruct({ vpc, allowedPrivateNetworks: ['10.0.0.0/8', cidr] }, scope)).toThrow(
        `allowedPrivateNetworks entry '${cidr}' overlaps`,
      );
    });

    it('refuses an allowed private network that is not a CIDR', () => {
      const { stack: scope, vpc } = vpcStack();

      expect(() => buildConstruct({ vpc, allowedPrivateNetworks: ['10.0.0/8'] }, scope)).toThrow(
        /'10.0.0\/8' is not a valid CIDR/,
      );
    });

    it('refuses allowed private networks without a vpc', () => {
      expect(() => buildConstruct({ allowedPrivateNetworks: ['10.0.0.0/8'] })).toThrow(
        /allowedPrivateNetworks \(10\.0\.0\.0\/8\) needs the vpc prop/,
      );
    });

    it('sets a per-tenant API rate limit only when asked, and refuses a bad one', () => {
      expect(environmentOf(ids.apiFunction)[ENV.tenantRateLimitPerSecond]).toBeUndefined();
      const variables = functionEnvironments({ tenantRateLimitPerSecond: 50 });
      expect(variables.map((v) => v[ENV.tenantRateLimitPerSecond])).toEqual(['50', '50', '50', '50']);
      expect(() => buildConstruct({ tenantRateLimitPerSecond: 0 })).toThrow(/tenantRateLimitPerSecond is 0/);
    });

    it('lets ingest fan out small sets itself (30 subscriptions by default), with the grants that needs', () => {
      const ingest = environmentOf(ids.ingestFunction);
      expect(ingest[ENV.inlineFanoutLimit]).toBe('30');
      expect(ingest[ENV.subscriptionsTable]).toBeDefined();
      expect(ingest[ENV.deliveryQueueUrl]).toBeDefined();
      expect(allowedActionsOn(template, roles.ingest, ids.subscriptionsTable)).toContain('dynamodb:Query');
      expect(allowedActionsOn(template, roles.ingest, ids.deliveryQueue)).toContain('sqs:SendMessage');
      const variables = functionEnvironments({ inlineFanoutLimit: 0 });
      expect(variables.map((v) => v[ENV.inlineFanoutLimit])).toEqual(['0', '0', '0', '0']);
      expect(() => buildConstruct({ inlineFanoutLimit: 101 })).toThrow(/inlineFanoutLimit is 101/);
    });

    it('sets the subscription limits, 100 subscriptions per tenant, 100 filters, 20 headers and 4096 header bytes by default', () => {
      const api = environmentOf(ids.apiFunction);
      expect([ENV.maxSubscriptionsPerTenant, ENV.maxEventTypesPerSubscription, ENV.maxHeadersPerSubscription, ENV.maxHeaderBytesPerSubscription].map((name) => api[name])).toEqual([
        '100',
        '100',
        '20',
        '4096',
      ]);
      const variables = functionEnvironments({ maxSubscriptionsPerTenant: 5000, maxEventTypesPerSubscription: 10, maxHeadersPerSubscription: 0, maxHeaderBytesPerSubscription: 16384 });
      expect(variables.map((v) => [v[ENV.maxSubscriptionsPerTenant], v[ENV.maxEventTypesPerSubscription], v[ENV.maxHeadersPerSubscription], v[ENV.maxHeaderBytesPerSubscription]])).toEqual(
        Array(4).fill(['5000', '10', '0', '16384']),
      );
      expect(() => buildConstruct({ maxSubscriptionsPerTenant: 0 })).toThrow(/maxSubscriptionsPerTenant is 0/);
      expect(() => buildConstruct({ maxEventTypesPerSubscription: 1001 })).toThrow(/maxEventTypesPerSubscription is 1001/);
      expect(() => buildConstruct({ maxHeadersPerSubscription: 1.5 })).toThrow(/maxHeadersPerSubscription is 1.5/);
      expect(() => buildConstruct({ maxHeaderBytesPerSubscription: 16385 })).toThrow(/maxHeaderBytesPerSubscription is 16385/);
    });

    it('refuses a body limit above 350 KiB', () => {
      expect(() => buildConstruct({ maxBodySize: 350 * 1024 + 1 })).toThrow(/maxBodySize is 358401/);
      expect(() => buildConstruct({ maxBodySize: 350 * 1024 })).not.toThrow();
    });

    it.each([
      ['deliveryMaxConcurrency 1', { deliveryMaxConcurrency: 1 }, /deliveryMaxConcurrency is 1/],
      ['deliveryMaxConcurrency 1001', { deliveryMaxConcurrency: 1001 }, /deliveryMaxConcurrency is 1001/],
      [
        'maxSlowAttempts as high as deliveryMaxConcurrency',
        { deliveryMaxConcurrency: 10, maxSlowAttempts: 10 },
        /maxSlowAttempts is 10; it must be an integer from 0 to 9/,
      ],
      ['fanoutMaxConcurrency 0', { fanoutMaxConcurrency: 0 }, /fanoutMaxConcurrency is 0/],
      ['deliveryBatchSize 10001', { deliveryBatchSize: 10_001 }, /deliveryBatchSize is 10001/],
      ['memorySize 64', { memorySize: 64 }, /memorySize is 64/],
      ['deliveryTimeout 15 min', { deliveryTimeout: Duration.minutes(15) }, /deliveryTimeout \(seconds\) is 900/],
      ['deliveryTimeout 1.5 s', { deliveryTimeout: Duration.millis(1500) }, /deliveryTimeout is 1 second 500 millis/],
      ['an empty retrySchedule', { retrySchedule: [] }, /retrySchedule has 0 delays/],
      ['a retry delay of 13 h', { retrySchedule: [Duration.hours(13)] }, /retrySchedule\[0\] is 46800 seconds/],
      [
        'a retry schedule longer than the queue retention',
        { retrySchedule: Array.from({ length: 30 }, () => Duration.hours(12)) },
        /14-day queue retention/,
      ],
      ['eventRetention 36 h', { eventRetention: Duration.hours(36) }, /eventRetention is 1 day 12 hours/],
      [
        'deliveryLogRetention shorter than the retries',
        { deliveryLogRetention: Duration.days(1) },
        /deliveryLogRetention is 1 day; .*longer than the retry schedule/,
      ],
      ['apiKeyCacheTtl 2 h', { apiKeyCacheTtl: Duration.hours(2) }, /apiKeyCacheTtl \(seconds\) is 7200/],
      ['apiThrottle.rateLimit 0', { apiThrottle: { rateLimit: 0 } }, /apiThrottle.rateLimit is 0/],
      ['apiThrottle.burstLimit 0.5', { apiThrottle: { burstLimit: 0.5 } }, /apiThrottle.burstLimit is 0.5/],
      [
        'vpcSubnets without vpc',
        { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } },
        /vpcSubnets is set without the vpc prop/,
      ],
    ])('refuses %s', (_label, props, message) => {
      expect(() => buildConstruct(props)).toThrow(WebhookFanoutPropsError);
      expect(() => buildConstruct(props)).toThrow(message);
    });

    it('accepts a log retention and applies it to every log group', () => {
      const custom = synthStack({ logRetention: logs.RetentionDays.ONE_WEEK }).template;

      custom.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    });
  });
});
