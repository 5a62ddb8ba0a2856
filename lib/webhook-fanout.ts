import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { SubnetType } from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import ipaddr from 'ipaddr.js';
import { DEFAULTS, ENV, TABLE_KEYS } from '../lambdas/core/env-names';

/** Template metadata key holding each function's handler source, relative to the project root. */
export const HANDLER_SOURCE_METADATA = 'webhook-fanout:handler-source';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const KIB = 1024;
const MAX_QUEUE_MESSAGE_BYTES = 1024 * KIB;
const QUEUE_RETENTION = Duration.days(14);
const MAX_VISIBILITY_TIMEOUT_SECONDS = 12 * 3600;
const MAX_LAMBDA_TIMEOUT_SECONDS = 900;
/** Headroom for the handler to record the outcome and reschedule after an attempt times out. */
const DELIVERY_FUNCTION_MARGIN_SECONDS = 15;
/** AWS recommends a visibility timeout of at least six times the consumer's timeout. */
const VISIBILITY_TIMEOUT_FACTOR = 6;
const FANOUT_MAX_RECEIVE_COUNT = 10;
/** Every retry and deferral of a delivery is a receive, so this is only a net for poison messages. */
const DELIVERY_MAX_RECEIVE_COUNT = 100;
/** Half the receive budget for attempts leaves the other half for deferrals and crash redeliveries. */
const MAX_RETRIES = DELIVERY_MAX_RECEIVE_COUNT / 2;
const MAX_RETRY_JITTER = 1.2;
const SQS_BATCH_SIZE_WITHOUT_WINDOW = 10;

/**
 * Ranges the SSRF guard must never open: on Lambda, loopback reaches the runtime API and link-local
 * reaches instance metadata. 0.0.0.0 and :: connect to the local host on Linux, and the IPv4-mapped
 * IPv6 forms reach the same IPv4 addresses.
 */
const FORBIDDEN_NETWORKS = [
  '127.0.0.0/8',
  '169.254.0.0/16',
  '0.0.0.0/8',
  '::1/128',
  'fe80::/10',
  '::/128',
  '::ffff:127.0.0.0/104',
  '::ffff:169.254.0.0/112',
  '::ffff:0.0.0.0/104',
];

/** Throttling of the API's default stage, applied to every route. */
export interface WebhookFanoutApiThrottle {
  /**
   * Steady-state requests per second.
   * @default 1000
   */
  readonly rateLimit?: number;
  /**
   * Requests allowed in a burst.
   * @default 2000
   */
  readonly burstLimit?: number;
}

export interface WebhookFanoutProps {
  /**
   * Delays before retries 1..N of a delivery (a delivery gets N + 1 attempts); the handler adds +-20% jitter.
   * Each delay at most 12 hours (the SQS visibility timeout limit), whole seconds, 1 to 50 entries, and all
   * of them with jitter within the 14-day queue retention.
   * @default - 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (DEFAULTS.retryScheduleSeconds, about 27.6 h)
   */
  readonly retrySchedule?: Duration[];
  /**
   * Total time for one delivery attempt (connect, send, read the response), whole seconds from 1 to 885.
   * The delivery function's timeout is this plus 15 seconds; the delivery queue's visibility timeout six times that.
   * @default Duration.seconds(15)
   */
  readonly deliveryTimeout?: Duration;
  /**
   * Messages per delivery function invocation, 1..10000; above 10 a 1 s batching window is added.
   * @default 10
   */
  readonly deliveryBatchSize?: number;
  /**
   * Maximum concurrent delivery function invocations driven by the delivery queue, 2..1000.
   * @default 50
   */
  readonly deliveryMaxConcurrency?: number;
  /**
   * Maximum concurrent fan-out function invocations driven by the fan-out queue, 2..1000.
   * @default 10
   */
  readonly fanoutMaxConcurrency?: number;
  /**
   * How long events are kept (the replay window); whole days, longer than the retry schedule.
   * @default Duration.days(30)
   */
  readonly eventRetention?: Duration;
  /**
   * How long delivery records are kept; whole days, longer than the retry schedule.
   * @default Duration.days(30)
   */
  readonly deliveryLogRetention?: Duration;
  /**
   * How long the previous secret keeps signing after a rotation; whole seconds.
   * @default Duration.hours(24)
   */
  readonly secretRotationGracePeriod?: Duration;
  /**
   * How long a function caches an API key look-up, so how long a revoked key keeps working; 0 to 1 hour.
   * @default Duration.seconds(30)
   */
  readonly apiKeyCacheTtl?: Duration;
  /**
   * An endpoint whose every attempt has failed for this long is disabled (reason `failing_too_long`),
   * and a `webhook.subscription.disabled` event is published; 1 minute to 365 days.
   * @default Duration.days(5)
   */
  readonly disableFailingEndpointsAfter?: Duration;
  /**
   * CIDRs the SSRF guard lets deliveries reach. Must not overlap loopback or link-local
   * (127.0.0.0/8, ::1/128, 169.254.0.0/16, fe80::/10, nor 0.0.0.0/8 and ::/128), and needs `vpc`.
   * @default - none: private, loopback and link-local targets are refused
   */
  readonly allowedPrivateNetworks?: string[];
  /**
   * Allow `http://` subscription URLs.
   * @default false
   */
  readonly allowHttp?: boolean;
  /**
   * VPC to run the delivery function in, needed to reach `allowedPrivateNetworks`. The subnets need a
   * route to DynamoDB and SQS (NAT gateway or VPC endpoints).
   * @default - the delivery function runs outside any VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of `vpc` for the delivery function.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Largest accepted request body in bytes; at most 350 KiB so an event fits a DynamoDB item.
   * @default 262144 (256 KiB)
   */
  readonly maxBodySize?: number;
  /**
   * Memory of every function in MB, 128..10240.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Retention of the functions' and the API's log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the key, tables, queues and log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Key that encrypts the tables and queues.
   * @default - a new customer-managed key with yearly rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Throttling of the HTTP API.
   * @default - 1000 requests per second, bursts of 2000
   */
  readonly apiThrottle?: WebhookFanoutApiThrottle;
}

/** A prop of `WebhookFanout` has a value that cannot be deployed or would break the pipeline. */
export class WebhookFanoutPropsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookFanoutPropsError';
  }
}

/**
 * Serverless webhook fan-out: an HTTP API to accept events and manage subscriptions, a fan-out
 * queue and function, a delivery queue and function that sends signed, retried webhooks, and the
 * DynamoDB tables that hold events, subscriptions, the delivery log and API keys.
 */
export class WebhookFanout extends Construct {
  /** Encrypts the tables and queues. */
  public readonly key: kms.IKey;
  /** Events (the replay window) and their idempotency keys; pk only. */
  public readonly eventsTable: dynamodb.Table;
  /** Subscriptions per tenant; pk + sk. */
  public readonly subscriptionsTable: dynamodb.Table;
  /** The delivery log: one record per (event, subscription) and its attempts; pk + sk. */
  public readonly deliveriesTable: dynamodb.Table;
  /** API key hashes, tenants and scopes; pk only. */
  public readonly apiKeysTable: dynamodb.Table;
  /** Events to fan out, and continuations of large fan-outs. */
  public readonly fanoutQueue: sqs.Queue;
  /** Fan-out messages that could not be processed; any message here is an incident. */
  public readonly fanoutDeadLetterQueue: sqs.Queue;
  /** One message per (event, subscription); retries wait here through the visibility timeout. */
  public readonly deliveryQueue: sqs.Queue;
  /** Delivery messages that could not be processed; any message here is an incident. */
  public readonly deliveryDeadLetterQueue: sqs.Queue;
  /** Serves POST /v1/events. */
  public readonly ingestFunction: NodejsFunction;
  /** Serves every other route. */
  public readonly apiFunction: NodejsFunction;
  /** Consumes the fan-out queue. */
  public readonly fanoutFunction: NodejsFunction;
  /** Consumes the delivery queue and sends the webhooks. */
  public readonly deliveryFunction: NodejsFunction;
  /** The public API; its `apiEndpoint` is the base URL. */
  public readonly httpApi: apigwv2.HttpApi;
  /** Access log of the API's default stage. */
  public readonly apiAccessLogGroup: logs.LogGroup;
  /** API, queue and function health at a glance. */
  public readonly dashboard: cloudwatch.Dashboard;

  private readonly removalPolicy: RemovalPolicy;
  private readonly logRetention: logs.RetentionDays;

  constructor(scope: Construct, id: string, props: WebhookFanoutProps = {}) {
    super(scope, id);
    const config = resolveConfig(props);
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.key =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'Encrypts the webhook fan-out tables and queues',
        enableKeyRotation: true,
        removalPolicy: this.removalPolicy,
      });

    this.eventsTable = this.createTable('EventsTable', false);
    this.subscriptionsTable = this.createTable('SubscriptionsTable', true);
    this.deliveriesTable = this.createTable('DeliveriesTable', true);
    this.apiKeysTable = this.createTable('ApiKeysTable', false);

    const fanoutTimeout = Duration.minutes(5);
    const deliveryFunctionTimeout = Duration.seconds(config.deliveryTimeoutSeconds + DELIVERY_FUNCTION_MARGIN_SECONDS);

    this.fanoutDeadLetterQueue = this.createQueue('FanoutDeadLetterQueue');
    this.fanoutQueue = this.createQueue('FanoutQueue', {
      visibilityTimeout: Duration.seconds(fanoutTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: this.fanoutDeadLetterQueue, maxReceiveCount: FANOUT_MAX_RECEIVE_COUNT },
    });
    this.deliveryDeadLetterQueue = this.createQueue('DeliveryDeadLetterQueue');
    this.deliveryQueue = this.createQueue('DeliveryQueue', {
      visibilityTimeout: Duration.seconds(deliveryFunctionTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: this.deliveryDeadLetterQueue, maxReceiveCount: DELIVERY_MAX_RECEIVE_COUNT },
    });

    const shared = { memorySize: config.memorySize, environment: config.environment };

    this.ingestFunction = this.createFunction('IngestFunction', 'ingest', {
      ...shared,
      description: 'Accepts POST /v1/events: authenticates, stores the event and hands it to fan-out',
      timeout: Duration.seconds(10),
    });
    this.apiFunction = this.createFunction('ApiFunction', 'api', {
      ...shared,
      description: 'Serves every API route except POST /v1/events',
      timeout: Duration.seconds(15),
    });
    this.fanoutFunction = this.createFunction('FanoutFunction', 'fanout', {
      ...shared,
      description: 'Turns an event into one delivery message per matching subscription',
      timeout: fanoutTimeout,
    });
    this.deliveryFunction = this.createFunction('DeliveryFunction', 'delivery', {
      ...shared,
      description: 'Sends signed webhooks and records each attempt',
      timeout: deliveryFunctionTimeout,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? (props.vpcSubnets ?? { subnetType: SubnetType.PRIVATE_WITH_EGRESS }) : undefined,
    });

    this.wireIngest();
    this.wireApi();
    this.wireFanout(config.fanoutMaxConcurrency);
    this.wireDelivery(config.deliveryBatchSize, config.deliveryMaxConcurrency);
    for (const fn of [this.ingestFunction, this.apiFunction, this.fanoutFunction, this.deliveryFunction]) {
      acknowledgeKeyGrantWildcards(fn);
    }

    this.apiAccessLogGroup = this.createLogGroup('ApiAccessLogGroup');
    this.httpApi = this.createHttpApi(config.apiRateLimit, config.apiBurstLimit);
    this.dashboard = this.createDashboard();
  }

  /** Messages waiting in both dead-letter queues; anything above zero is an incident. */
  public metricDeadLetterQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return new cloudwatch.MathExpression({
      expression: 'fanout + delivery',
      label: 'Dead-letter queue depth',
      period: props?.period,
      usingMetrics: {
        fanout: this.fanoutDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...props }),
        delivery: this.deliveryDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: 'Maximum',
          ...props,
        }),
      },
    });
  }

  /** Delivery messages waiting to be received, retries that are due included. */
  public metricDeliveryQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deliveryQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...props });
  }

  /** Age of the oldest fan-out message; it ignores messages received three times or more. */
  public metricFanoutQueueAgeOfOldestMessage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.fanoutQueue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', ...props });
  }

  /** Errors of all four functions together. */
  public metricFunctionErrors(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return new cloudwatch.MathExpression({
      expression: 'ingest + api + fanout + delivery',
      label: 'Function errors',
      period: props?.period,
      usingMetrics: {
        ingest: this.ingestFunction.metricErrors(props),
        api: this.apiFunction.metricErrors(props),
        fanout: this.fanoutFunction.metricErrors(props),
        delivery: this.deliveryFunction.metricErrors(props),
      },
    });
  }

  /** 5xx answers of the HTTP API; bad input must never cause one. */
  public metricApiServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.httpApi.metricServerError(props);
  }

  private createTable(id: string, withSortKey: boolean): dynamodb.Table {
    return new dynamodb.Table(this, id, {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: withSortKey ? { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      removalPolicy: this.removalPolicy,
    });
  }

  private createQueue(
    id: string,
    options: Pick<sqs.QueueProps, 'visibilityTimeout' | 'deadLetterQueue'> = {},
  ): sqs.Queue {
    return new sqs.Queue(this, id, {
      ...options,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      // Each data key is reused for an hour instead of five minutes: far fewer billed KMS calls.
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      // The queue attribute defaults to 256 KiB; the SQS limit is 1 MiB.
      maxMessageSizeBytes: MAX_QUEUE_MESSAGE_BYTES,
      retentionPeriod: QUEUE_RETENTION,
      removalPolicy: this.removalPolicy,
    });
  }

  private createLogGroup(id: string): logs.LogGroup {
    return new logs.LogGroup(this, id, { retention: this.logRetention, removalPolicy: this.removalPolicy });
  }

  private createFunction(
    id: string,
    name: 'ingest' | 'api' | 'fanout' | 'delivery',
    options: Pick<
      lambda.FunctionOptions,
      'description' | 'timeout' | 'memorySize' | 'environment' | 'vpc' | 'vpcSubnets'
    >,
  ): NodejsFunction {
    const entry = path.join('lambdas', name, 'handler.ts');
    const logGroup = this.createLogGroup(`${id}LogGroup`);
    const role = this.createFunctionRole(`${id}Role`, logGroup, options.vpc !== undefined);
    const fn = new NodejsFunction(this, id, {
      ...options,
      role,
      entry: path.join(PROJECT_ROOT, entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      bundling: {
        minify: true,
        sourceMap: false,
        target: 'node22',
        format: OutputFormat.CJS,
        // Bundle the SDK clients rather than load the runtime's full copy: smaller, faster cold starts,
        // and the version is pinned by the lock file.
        externalModules: [],
      },
    });
    const cfnFunction = fn.node.defaultChild as lambda.CfnFunction;
    // The local runtime runs the handler source named here, so the template stays its one source of truth.
    cfnFunction.addMetadata(HANDLER_SOURCE_METADATA, entry.split(path.sep).join('/'));
    acknowledge(
      cfnFunction,
      'AwsSolutions-L1',
      'Pinned on purpose to nodejs22.x, a supported LTS runtime: the bundles are built for node22 (esbuild target) ' +
        'and tested on it. L1 flags anything older than the newest runtime this CDK version knows (nodejs24.x); ' +
        'moving runtimes is a reviewed change, not one that follows NODEJS_LATEST.',
    );
    return fn;
  }

  /**
   * The function's own role instead of the one Lambda would create: that one carries the managed
   * AWSLambdaBasicExecutionRole (logs:CreateLogGroup/CreateLogStream/PutLogEvents on every log group
   * of the account), where writing to the function's own log group is all it needs. The group exists
   * before the function (the stack creates it), so no CreateLogGroup either.
   */
  private createFunctionRole(id: string, logGroup: logs.LogGroup, inVpc: boolean): iam.Role {
    const role = new iam.Role(this, id, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: inVpc ? { VpcNetworkInterfaces: vpcNetworkInterfacePolicy() } : undefined,
    });
    logGroup.grantWrite(role);
    if (inVpc) {
      acknowledge(
        role.node.defaultChild as CfnResource,
        'AwsSolutions-IAM5[Resource::*]',
        'Only the VpcNetworkInterfaces inline policy of this role uses Resource "*": the network-interface actions ' +
          'Lambda needs to place a function in a VPC, the same as AWSLambdaVPCAccessExecutionRole minus its logs ' +
          'actions. ec2:DescribeNetworkInterfaces works on "*" only, and Lambda creates the interfaces itself.',
      );
    }
    return role;
  }

  private wireIngest(): void {
    const fn = this.ingestFunction;
    this.eventsTable.grantReadWriteData(fn);
    this.subscriptionsTable.grantReadData(fn);
    this.apiKeysTable.grantReadData(fn);
    this.fanoutQueue.grantSendMessages(fn);
    // Small fan-outs go straight to the delivery queue.
    this.deliveryQueue.grantSendMessages(fn);
    this.addEnvironment(fn, {
      [ENV.eventsTable]: this.eventsTable.tableName,
      [ENV.subscriptionsTable]: this.subscriptionsTable.tableName,
      [ENV.apiKeysTable]: this.apiKeysTable.tableName,
      [ENV.fanoutQueueUrl]: this.fanoutQueue.queueUrl,
      [ENV.deliveryQueueUrl]: this.deliveryQueue.queueUrl,
    });
  }

  private wireApi(): void {
    const fn = this.apiFunction;
    this.eventsTable.grantReadWriteData(fn);
    this.subscriptionsTable.grantReadWriteData(fn);
    this.deliveriesTable.grantReadWriteData(fn);
    this.apiKeysTable.grantReadData(fn);
    // Replay and recover go through fan-out.
    this.fanoutQueue.grantSendMessages(fn);
    this.addEnvironment(fn, {
      [ENV.eventsTable]: this.eventsTable.tableName,
      [ENV.subscriptionsTable]: this.subscriptionsTable.tableName,
      [ENV.deliveriesTable]: this.deliveriesTable.tableName,
      [ENV.apiKeysTable]: this.apiKeysTable.tableName,
      [ENV.fanoutQueueUrl]: this.fanoutQueue.queueUrl,
    });
  }

  private wireFanout(maxConcurrency: number): void {
    const fn = this.fanoutFunction;
    this.subscriptionsTable.grantReadData(fn);
    this.eventsTable.grantReadData(fn);
    // Recoveries page through a subscription's delivery records.
    this.deliveriesTable.grantReadData(fn);
    // Large subscriber sets are paged: the function enqueues a continuation of itself.
    this.fanoutQueue.grantSendMessages(fn);
    this.deliveryQueue.grantSendMessages(fn);
    this.fanoutDeadLetterQueue.grantSendMessages(fn);
    fn.addEventSource(
      new SqsEventSource(this.fanoutQueue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency }),
    );
    this.addEnvironment(fn, {
      [ENV.eventsTable]: this.eventsTable.tableName,
      [ENV.subscriptionsTable]: this.subscriptionsTable.tableName,
      [ENV.deliveriesTable]: this.deliveriesTable.tableName,
      [ENV.fanoutQueueUrl]: this.fanoutQueue.queueUrl,
      [ENV.fanoutDlqUrl]: this.fanoutDeadLetterQueue.queueUrl,
      [ENV.deliveryQueueUrl]: this.deliveryQueue.queueUrl,
    });
  }

  private wireDelivery(batchSize: number, maxConcurrency: number): void {
    const fn = this.deliveryFunction;
    this.deliveriesTable.grantReadWriteData(fn);
    // A 410 Gone, or failing for too long, disables the subscription.
    this.subscriptionsTable.grantReadWriteData(fn);
    // Operational events (webhook.delivery.exhausted, webhook.subscription.disabled) are published
    // like any other: stored, then handed to fan-out.
    this.eventsTable.grantReadWriteData(fn);
    this.fanoutQueue.grantSendMessages(fn);
    this.deliveryDeadLetterQueue.grantSendMessages(fn);
    // The event source grants consume rights, ChangeMessageVisibility (the retry mechanism) included.
    fn.addEventSource(
      new SqsEventSource(this.deliveryQueue, {
        batchSize,
        // Lambda requires a batching window for batches above 10.
        maxBatchingWindow: batchSize > SQS_BATCH_SIZE_WITHOUT_WINDOW ? Duration.seconds(1) : undefined,
        reportBatchItemFailures: true,
        maxConcurrency,
      }),
    );
    this.addEnvironment(fn, {
      [ENV.eventsTable]: this.eventsTable.tableName,
      [ENV.subscriptionsTable]: this.subscriptionsTable.tableName,
      [ENV.deliveriesTable]: this.deliveriesTable.tableName,
      [ENV.deliveryQueueUrl]: this.deliveryQueue.queueUrl,
      [ENV.deliveryDlqUrl]: this.deliveryDeadLetterQueue.queueUrl,
      [ENV.fanoutQueueUrl]: this.fanoutQueue.queueUrl,
    });
  }

  private addEnvironment(fn: lambda.Function, environment: Record<string, string>): void {
    for (const [name, value] of Object.entries(environment)) fn.addEnvironment(name, value);
  }

  private createHttpApi(rateLimit: number, burstLimit: number): apigwv2.HttpApi {
    const api = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `${Stack.of(this).stackName}-webhooks`,
      description: 'Webhook fan-out API',
      createDefaultStage: true,
    });
    // Authentication runs inside the functions (DESIGN 3): authorizers cannot answer in the error shape.
    const ingestRoutes = api.addRoutes({
      path: '/v1/events',
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('IngestIntegration', this.ingestFunction, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    const apiRoutes = api.addRoutes({
      path: '/{proxy+}',
      methods: [apigwv2.HttpMethod.ANY],
      integration: new HttpLambdaIntegration('ApiIntegration', this.apiFunction, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    for (const route of ingestRoutes) {
      acknowledge(
        route.node.defaultChild as CfnResource,
        'AwsSolutions-APIG4',
        'The ingest function authenticates every request itself (Bearer API key: checksum, SHA-256 hash, ' +
          'revocation) and requires the events:write scope; an HTTP API authorizer would answer with fixed ' +
          'bodies and statuses that break the documented error contract.',
      );
    }
    for (const route of apiRoutes) {
      acknowledge(
        route.node.defaultChild as CfnResource,
        'AwsSolutions-APIG4',
        'The api function authenticates every request itself with the same middleware as ingest and checks ' +
          "each route's scope; only routes public by design (GET /health) skip the key. An HTTP API authorizer " +
          "cannot answer 401/403 in the API's error shape, nor 404/405 for unknown routes.",
      );
    }

    // The L2 default stage takes no throttle or access-log settings, so they go on its L1 resource.
    const stage = api.defaultStage?.node.defaultChild;
    if (!(stage instanceof apigwv2.CfnStage)) {
      throw new Error('HttpApi did not create its default stage');
    }
    stage.defaultRouteSettings = { throttlingRateLimit: rateLimit, throttlingBurstLimit: burstLimit };
    stage.accessLogSettings = {
      destinationArn: this.apiAccessLogGroup.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        requestTime: '$context.requestTimeEpoch',
        routeKey: '$context.routeKey',
        path: '$context.path',
        status: '$context.status',
        responseLength: '$context.responseLength',
        latency: '$context.responseLatency',
        integrationLatency: '$context.integrationLatency',
        integrationError: '$context.integrationErrorMessage',
      }),
    };
    return api;
  }

  private createDashboard(): cloudwatch.Dashboard {
    const functions = {
      ingest: this.ingestFunction,
      api: this.apiFunction,
      fanout: this.fanoutFunction,
      delivery: this.deliveryFunction,
    };
    const queues = { fanout: this.fanoutQueue, delivery: this.deliveryQueue };
    const deadLetterQueues = { fanout: this.fanoutDeadLetterQueue, delivery: this.deliveryDeadLetterQueue };
    const perFunction = (metric: (fn: lambda.Function) => cloudwatch.Metric): cloudwatch.IMetric[] =>
      Object.entries(functions).map(([label, fn]) => metric(fn).with({ label }));
    const perQueue = (
      selected: Record<string, sqs.Queue>,
      metric: (queue: sqs.Queue) => cloudwatch.Metric,
      suffix = '',
    ): cloudwatch.IMetric[] =>
      Object.entries(selected).map(([label, queue]) => metric(queue).with({ label: `${label}${suffix}` }));
    const width = 8;

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard');
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests',
        width,
        left: [
          this.httpApi.metricCount({ statistic: 'Sum', label: 'requests' }),
          this.httpApi.metricClientError({ label: '4xx' }),
          this.httpApi.metricServerError({ label: '5xx' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (ms)',
        width,
        left: [
          this.httpApi.metricLatency({ statistic: 'p50', label: 'p50' }),
          this.httpApi.metricLatency({ statistic: 'p99', label: 'p99' }),
          this.httpApi.metricIntegrationLatency({ statistic: 'p99', label: 'integration p99' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth',
        width,
        left: perQueue(deadLetterQueues, (q) => q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' })),
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queue depth',
        width,
        left: perQueue(queues, (q) => q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }), ' visible'),
        // Retries wait here too: the delivery handler defers a message through its visibility timeout.
        right: perQueue(
          queues,
          (q) => q.metricApproximateNumberOfMessagesNotVisible({ statistic: 'Maximum' }),
          ' in flight or waiting',
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Age of oldest message (s)',
        width,
        left: perQueue(
          { ...queues, ...prefixKeys('dlq ', deadLetterQueues) },
          (q) => q.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        width,
        left: perFunction((fn) => fn.metricErrors()),
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function throttles',
        width,
        left: perFunction((fn) => fn.metricThrottles()),
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration p99 (ms)',
        width,
        left: perFunction((fn) => fn.metricDuration({ statistic: 'p99' })),
      }),
      new cloudwatch.GraphWidget({
        title: 'Function invocations',
        width,
        left: perFunction((fn) => fn.metricInvocations()),
      }),
    );
    return dashboard;
  }
}

/** Records, on the one template resource it concerns, that a cdk-nag finding is deliberate, and why. */
function acknowledge(resource: CfnResource, id: string, reason: string): void {
  Validations.of(resource).acknowledge({ id, reason });
}

/**
 * The table and queue grants add `kms:GenerateDataKey*` and `kms:ReEncrypt*` for the customer-managed key
 * (what DynamoDB and SQS server-side encryption ask of the caller). The statement's only resource is that
 * key's ARN, so the wildcard spans variants of two actions on one key, never other keys.
 */
function acknowledgeKeyGrantWildcards(fn: lambda.Function): void {
  const policy = fn.role?.node.tryFindChild('DefaultPolicy')?.node.defaultChild;
  if (!(policy instanceof CfnResource)) throw new Error(`${fn.node.path} has no default policy to acknowledge`);
  const reason =
    'Added by the DynamoDB table and SQS queue grants for the one customer-managed key that encrypts them; ' +
    'the statement is scoped to that key ARN alone.';
  acknowledge(policy, 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', reason);
  acknowledge(policy, 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]', reason);
}

/**
 * What Lambda needs to attach a function to a VPC's subnets: AWSLambdaVPCAccessExecutionRole without its
 * account-wide logs actions (the function's role already writes to its own log group).
 */
function vpcNetworkInterfacePolicy(): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    ],
  });
}

function prefixKeys<T>(prefix: string, record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [`${prefix}${key}`, value]));
}

interface ResolvedConfig {
  readonly deliveryTimeoutSeconds: number;
  readonly deliveryBatchSize: number;
  readonly deliveryMaxConcurrency: number;
  readonly fanoutMaxConcurrency: number;
  readonly memorySize: number;
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  /** The configuration every function receives. */
  readonly environment: Record<string, string>;
}

function resolveConfig(props: WebhookFanoutProps): ResolvedConfig {
  const retrySeconds = retryScheduleSeconds(props.retrySchedule);
  const retrySpanSeconds = Math.ceil(retrySeconds.reduce((sum, s) => sum + s, 0) * MAX_RETRY_JITTER);

  const deliveryTimeoutSeconds = wholeSeconds(
    'deliveryTimeout',
    props.deliveryTimeout ?? Duration.millis(DEFAULTS.timeoutMs),
  );
  const maxDeliveryTimeout = MAX_LAMBDA_TIMEOUT_SECONDS - DELIVERY_FUNCTION_MARGIN_SECONDS;
  requireRange('deliveryTimeout (seconds)', deliveryTimeoutSeconds, 1, maxDeliveryTimeout);

  const deliveryBatchSize = props.deliveryBatchSize ?? 10;
  requireRange('deliveryBatchSize', deliveryBatchSize, 1, 10_000);
  const deliveryMaxConcurrency = props.deliveryMaxConcurrency ?? 50;
  requireRange('deliveryMaxConcurrency', deliveryMaxConcurrency, 2, 1000);
  const fanoutMaxConcurrency = props.fanoutMaxConcurrency ?? 10;
  requireRange('fanoutMaxConcurrency', fanoutMaxConcurrency, 2, 1000);
  const memorySize = props.memorySize ?? 256;
  requireRange('memorySize', memorySize, 128, 10_240);
  const maxBodyBytes = props.maxBodySize ?? DEFAULTS.maxBodyBytes;
  requireRange('maxBodySize', maxBodyBytes, 1, DEFAULTS.maxBodyBytesLimit);

  const eventRetentionDays = retentionDays(
    'eventRetention',
    props.eventRetention ?? Duration.days(DEFAULTS.eventRetentionDays),
    retrySpanSeconds,
  );
  const deliveryLogRetentionDays = retentionDays(
    'deliveryLogRetention',
    props.deliveryLogRetention ?? Duration.days(DEFAULTS.deliveryLogRetentionDays),
    retrySpanSeconds,
  );
  const secretGraceSeconds = wholeSeconds(
    'secretRotationGracePeriod',
    props.secretRotationGracePeriod ?? Duration.seconds(DEFAULTS.secretGraceSeconds),
  );
  const apiKeyCacheSeconds = wholeSeconds(
    'apiKeyCacheTtl',
    props.apiKeyCacheTtl ?? Duration.seconds(DEFAULTS.apiKeyCacheSeconds),
  );
  requireRange('apiKeyCacheTtl (seconds)', apiKeyCacheSeconds, 0, 3600);
  const disableFailingAfterSeconds = wholeSeconds(
    'disableFailingEndpointsAfter',
    props.disableFailingEndpointsAfter ?? Duration.seconds(DEFAULTS.disableFailingAfterSeconds),
  );
  requireRange('disableFailingEndpointsAfter (seconds)', disableFailingAfterSeconds, 60, 365 * 86400);

  const apiRateLimit = props.apiThrottle?.rateLimit ?? 1000;
  if (!Number.isFinite(apiRateLimit) || apiRateLimit <= 0) {
    throw new WebhookFanoutPropsError(`apiThrottle.rateLimit is ${apiRateLimit}; it must be a positive number`);
  }
  const apiBurstLimit = props.apiThrottle?.burstLimit ?? 2000;
  if (!Number.isSafeInteger(apiBurstLimit) || apiBurstLimit < 1) {
    throw new WebhookFanoutPropsError(`apiThrottle.burstLimit is ${apiBurstLimit}; it must be a positive integer`);
  }

  if (props.vpcSubnets && !props.vpc) {
    throw new WebhookFanoutPropsError('vpcSubnets is set without the vpc prop it selects from');
  }
  const allowedPrivateNetworks = allowedNetworks(props.allowedPrivateNetworks ?? [], props.vpc !== undefined);

  return {
    deliveryTimeoutSeconds,
    deliveryBatchSize,
    deliveryMaxConcurrency,
    fanoutMaxConcurrency,
    memorySize,
    apiRateLimit,
    apiBurstLimit,
    environment: {
      [ENV.retrySchedule]: retrySeconds.join(','),
      [ENV.timeoutMs]: String(deliveryTimeoutSeconds * 1000),
      [ENV.allowedPrivateNetworks]: allowedPrivateNetworks.join(','),
      [ENV.allowHttp]: String(props.allowHttp ?? false),
      [ENV.maxBodyBytes]: String(maxBodyBytes),
      [ENV.eventRetentionDays]: String(eventRetentionDays),
      [ENV.deliveryLogRetentionDays]: String(deliveryLogRetentionDays),
      [ENV.secretGraceSeconds]: String(secretGraceSeconds),
      [ENV.apiKeyCacheSeconds]: String(apiKeyCacheSeconds),
      [ENV.disableFailingAfterSeconds]: String(disableFailingAfterSeconds),
      POWERTOOLS_SERVICE_NAME: 'webhook-fanout',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    },
  };
}

function retryScheduleSeconds(schedule: Duration[] | undefined): number[] {
  const seconds = (schedule ?? DEFAULTS.retryScheduleSeconds.map((s) => Duration.seconds(s))).map((delay, index) =>
    wholeSeconds(`retrySchedule[${index}]`, delay),
  );
  if (seconds.length < 1 || seconds.length > MAX_RETRIES) {
    throw new WebhookFanoutPropsError(
      `retrySchedule has ${seconds.length} delays; it needs 1 to ${MAX_RETRIES} so retries stay below ` +
        `the delivery queue's maxReceiveCount of ${DELIVERY_MAX_RECEIVE_COUNT}`,
    );
  }
  seconds.forEach((delay, index) => {
    if (delay > MAX_VISIBILITY_TIMEOUT_SECONDS) {
      throw new WebhookFanoutPropsError(
        `retrySchedule[${index}] is ${delay} seconds; each delay must be at most 12 hours ` +
          `(${MAX_VISIBILITY_TIMEOUT_SECONDS} s, the SQS visibility timeout limit)`,
      );
    }
  });
  const spanSeconds = Math.ceil(seconds.reduce((sum, s) => sum + s, 0) * MAX_RETRY_JITTER);
  if (spanSeconds >= QUEUE_RETENTION.toSeconds()) {
    throw new WebhookFanoutPropsError(
      `retrySchedule spans up to ${spanSeconds} seconds with jitter; it must end within the 14-day ` +
        `queue retention (${QUEUE_RETENTION.toSeconds()} s)`,
    );
  }
  return seconds;
}

function wholeSeconds(name: string, duration: Duration): number {
  const millis = duration.toMilliseconds();
  if (millis % 1000 !== 0) {
    throw new WebhookFanoutPropsError(`${name} is ${duration.toHumanString()}; it must be a whole number of seconds`);
  }
  return millis / 1000;
}

function requireRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new WebhookFanoutPropsError(`${name} is ${value}; it must be an integer from ${min} to ${max}`);
  }
}

/** Records must outlive their retries: the delivery reads the event and counts attempts in its record. */
function retentionDays(name: string, retention: Duration, retrySpanSeconds: number): number {
  const seconds = wholeSeconds(name, retention);
  const days = seconds / 86_400;
  if (!Number.isInteger(days) || seconds <= retrySpanSeconds) {
    throw new WebhookFanoutPropsError(
      `${name} is ${retention.toHumanString()}; it must be whole days and longer than the retry schedule ` +
        `(${retrySpanSeconds} s with jitter)`,
    );
  }
  return days;
}

function allowedNetworks(cidrs: string[], hasVpc: boolean): string[] {
  const trimmed = cidrs.map((cidr) => cidr.trim());
  trimmed.forEach(checkAllowedNetwork);
  if (trimmed.length > 0 && !hasVpc) {
    throw new WebhookFanoutPropsError(
      `allowedPrivateNetworks (${trimmed.join(', ')}) needs the vpc prop: private networks are only reachable ` +
        'from a function in a VPC',
    );
  }
  return trimmed;
}

function checkAllowedNetwork(cidr: string): void {
  if (!ipaddr.IPv6.isValidCIDR(cidr) && !ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr)) {
    throw new WebhookFanoutPropsError(`allowedPrivateNetworks entry '${cidr}' is not a valid CIDR (e.g. 10.0.0.0/8)`);
  }
  const [address, prefix] = ipaddr.parseCIDR(cidr);
  for (const forbidden of FORBIDDEN_NETWORKS) {
    const [forbiddenAddress, forbiddenPrefix] = ipaddr.parseCIDR(forbidden);
    // Two CIDRs overlap when they agree on the bits of the shorter prefix.
    const overlaps =
      address.kind() === forbiddenAddress.kind() && address.match(forbiddenAddress, Math.min(prefix, forbiddenPrefix));
    if (overlaps) {
      throw new WebhookFanoutPropsError(
        `allowedPrivateNetworks entry '${cidr}' overlaps ${forbidden}: loopback and link-local targets reach ` +
          'the Lambda runtime API and instance metadata',
      );
    }
  }
}
