import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnResource, Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { SubnetType } from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import ipaddr from 'ipaddr.js';
import {
  DEFAULTS,
  ENV,
  METRIC_DIMENSIONS,
  METRIC_NAMES,
  POWERTOOLS_ENV,
  TABLE_KEYS,
  type MetricName,
} from '../lambdas/core/env-names';
import type { FailureReason } from '../lambdas/core/outcome';
import { SUBSCRIPTION_LIMITS, type SubscriptionLimitName } from '../lambdas/core/subscription-limits';
import { consumeQueue, grantSend, grantTable } from './function-grants';

/**
 * How every function is bundled (npm run bench builds the same assets from these to measure them).
 */
export const FUNCTION_BUNDLING = {
  minify: true,
  sourceMap: false,
  target: 'node22',
  format: OutputFormat.CJS,
  // The ES module builds of the dependencies, which esbuild can tree-shake: about a third smaller
  // than their CommonJS builds, so less to load at every cold start.
  mainFields: ['module', 'main'],
  // Bundle the SDK clients rather than load the runtime's full copy: smaller, faster cold starts,
  // and the version is pinned by the lock file.
  externalModules: [],
} as const satisfies BundlingOptions;

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
/** Period of the alarms that look at trends; the dead-letter alarms look at single minutes. */
const ALARM_PERIOD = Duration.minutes(5);
const DEFAULT_DELIVERY_LAG_ALARM_THRESHOLD = Duration.minutes(5);
const DEFAULT_API_SERVER_ERROR_RATE_PERCENT = 1;
const DEFAULT_API_SERVER_ERROR_MIN_REQUESTS = 100;
/**
 * One line per API request, billed as log ingestion like any other: what an operator needs of a
 * request and no more. `route` is method and path, which say more than the route key (every
 * management call matches `ANY /{proxy+}`); the function's own duration is in Lambda's metrics.
 */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  time: '$context.requestTimeEpoch',
  route: '$context.httpMethod $context.path',
  status: '$context.status',
  latency: '$context.responseLatency',
  integrationError: '$context.integrationErrorMessage',
});
const SYSTEM_LOG_LEVELS: readonly WebhookFanoutSystemLogLevel[] = ['DEBUG', 'INFO', 'WARN'];
/** CloudWatch namespaces: these characters, and never AWS/ (reserved for AWS services). */
const NAMESPACE_PATTERN = /^[A-Za-z0-9 ._\-/#:]{1,255}$/;

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
   * An attempt still unanswered this long after it got its connection is slow: to keep waiting it
   * needs one of its endpoint's `maxSlowAttemptsPerEndpoint` slots, else it is cut there (logged as a
   * timeout). Whole milliseconds from 100 to the delivery timeout.
   * @default Duration.seconds(1)
   */
  readonly slowAttemptThreshold?: Duration;
  /**
   * Slow attempts one endpoint may have in flight at once across every delivery function instance,
   * 0..1000; 0 turns the limit off. Each slow attempt costs two DynamoDB writes (take and release a slot).
   * @default 5
   */
  readonly maxSlowAttemptsPerEndpoint?: number;
  /**
   * Attempts in a row without an answer (timeout, refused or reset connection, DNS, TLS) that open an
   * endpoint's circuit, 0..1000; 0 turns the breaker off. While open the endpoint is not called, its
   * deliveries wait without spending attempts, and one probe at a time tests it (after 5 s, doubling to 10 min).
   * @default 5
   */
  readonly circuitBreakerThreshold?: number;
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
   * Requests per second one tenant may make to the HTTP API, across every function instance,
   * answered with a 429 `throttled` in the API's error shape beyond it. Costs one DynamoDB write
   * per request, so it is off unless set; the stage throttle (`apiThrottle`) covers all tenants
   * together either way. 1 to 100,000.
   * @default - no per-tenant limit
   */
  readonly tenantRateLimitPerSecond?: number;
  /**
   * Tenants with at most this many subscriptions have their events fanned out by the ingest
   * function itself, straight to the delivery queue: one queue hop, one invocation and one SQS send
   * fewer per event. Larger sets, and events over 60 KB, go through the fan-out queue. 0 sends
   * every event through the fan-out queue. 0 to 100 (ten batches): ingest answers after its sends.
   * @default 30
   */
  readonly inlineFanoutLimit?: number;
  /**
   * Subscriptions one tenant may have, 1 to 1,000,000: every event becomes one POST per matching
   * subscription, so this bounds what one API key can make the service send. A create beyond it is
   * answered 409 `subscription_quota_exceeded`. Costs one DynamoDB write per create and per delete
   * (the tenant's counter), nothing per event.
   * @default 100
   */
  readonly maxSubscriptionsPerTenant?: number;
  /**
   * Event-type filters one subscription may have, 1 to 1000; more are answered 422 `limit_exceeded`.
   * @default 100
   */
  readonly maxEventTypesPerSubscription?: number;
  /**
   * Custom headers one subscription may have, 0 to 100 (0 allows none); more are answered 422 `limit_exceeded`.
   * @default 20
   */
  readonly maxHeadersPerSubscription?: number;
  /**
   * Bytes of one subscription's custom headers, names and values together, 0 to 16384; sent with
   * every delivery, so they count against what receivers accept (often 8 to 16 KiB of headers in all).
   * More are answered 422 `limit_exceeded`.
   * @default 4096
   */
  readonly maxHeaderBytesPerSubscription?: number;
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
  /**
   * CloudWatch namespace of the custom metrics (POWERTOOLS_METRICS_NAMESPACE). Two stacks in one
   * account and region need two namespaces, or their metrics and alarms mix.
   * @default 'WebhookFanout' (`WebhookFanoutStack` passes its stack name)
   */
  readonly metricsNamespace?: string;
  /**
   * Topic every alarm notifies, when it goes into ALARM and when it is OK again. A topic encrypted with
   * a customer-managed key must let CloudWatch (cloudwatch.amazonaws.com) use that key.
   * @default - the alarms notify no one; they show on the dashboard
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * The delivery lag alarm fires when the p99 of DeliveryLag (how late attempts start after they
   * were due) stays above this for three 5-minute periods in a row; whole seconds.
   * @default Duration.minutes(5)
   */
  readonly deliveryLagAlarmThreshold?: Duration;
  /**
   * The API 5xx alarm fires when more than this percentage of requests got a 5xx in three
   * 5-minute periods in a row; from 0 to below 100.
   * @default 1
   */
  readonly apiServerErrorRateAlarmThreshold?: number;
  /**
   * Requests a 5-minute period needs before its 5xx rate counts, so 1 error of 3 requests does
   * not page; a whole number from 1.
   * @default 100
   */
  readonly apiServerErrorAlarmMinimumRequests?: number;
  /**
   * Errors (crashes and timeouts, not retried deliveries) of one function in a 5-minute period that
   * count towards its errors alarm (2 such periods of 3); a whole number from 1.
   * @default 1
   */
  readonly functionErrorsAlarmThreshold?: number;
  /**
   * Throttled invocations of all functions together in a 5-minute period that count towards the
   * throttles alarm (2 such periods of 3); a whole number from 1.
   * @default 1
   */
  readonly functionThrottlesAlarmThreshold?: number;
  /**
   * Level of the functions' logs: POWERTOOLS_LOG_LEVEL and Lambda's application log level, kept equal
   * (Lambda's filter would otherwise override Powertools'). WARN and above are not offered: Lambda
   * counts the metric lines, which carry no level, as INFO and would drop them.
   * @default 'INFO'
   */
  readonly logLevel?: WebhookFanoutLogLevel;
  /**
   * Share of successful delivery attempts whose `delivery` log line, and of accepted events whose
   * `event accepted` line, is written at INFO, from 0 to 1; the others are written at DEBUG. On a
   * healthy pipeline they are most of the functions' log lines, the delivery log (DynamoDB) keeps
   * every attempt anyway, and the API's access log has a line per request. Failures, deferrals
   * and exhaustion are always logged. 1 keeps one line per attempt and event (the local runtime,
   * `npm start`, always uses 1 to print every one).
   * @default 0.01
   */
  readonly successLogSampleRate?: number;
  /**
   * Level of the platform records Lambda writes to each function's log group (Lambda's system log
   * level; the functions log in the JSON format, which this needs). At INFO, every invocation adds
   * a `platform.start` and a `platform.report` record, about 430 bytes of log ingestion (as much
   * per event as the metric lines). At WARN they are dropped, and with them the report's
   * per-invocation duration, billed duration, maximum memory used and cold-start init duration.
   * Lambda's own metrics (Duration, Errors, Throttles, ConcurrentExecutions) still give durations
   * and failures, and the alarms read metrics, not logs. Lambda files the records of failed
   * invocations (an error, a timeout) at WARN, so those stay. INFO brings the reports back, to size
   * memory say; DEBUG adds `platform.runtimeDone`.
   * @default 'WARN'
   */
  readonly systemLogLevel?: WebhookFanoutSystemLogLevel;
}

/** Log levels the functions can run at; see `WebhookFanoutProps.logLevel`. */
export type WebhookFanoutLogLevel = 'DEBUG' | 'INFO';

/** Levels of the platform records Lambda writes; see `WebhookFanoutProps.systemLogLevel`. */
export type WebhookFanoutSystemLogLevel = 'DEBUG' | 'INFO' | 'WARN';

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
  /** A row per stage (API, ingest, fan-out, delivery, queues, functions) under the alarms' status. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Any message in the fan-out dead-letter queue. */
  public readonly fanoutDeadLetterQueueAlarm: cloudwatch.Alarm;
  /** Any message in the delivery dead-letter queue. */
  public readonly deliveryDeadLetterQueueAlarm: cloudwatch.Alarm;
  /** Attempts start later than they were due (p99 of DeliveryLag above `deliveryLagAlarmThreshold`). */
  public readonly deliveryLagAlarm: cloudwatch.Alarm;
  /** The ingest function crashes or times out. */
  public readonly ingestErrorsAlarm: cloudwatch.Alarm;
  /** The api function crashes or times out. */
  public readonly apiErrorsAlarm: cloudwatch.Alarm;
  /** Fan-out failures: the fan-out function crashes or times out, so events wait to reach their subscribers. */
  public readonly fanoutErrorsAlarm: cloudwatch.Alarm;
  /** The delivery function crashes or times out (retried deliveries are not errors). */
  public readonly deliveryErrorsAlarm: cloudwatch.Alarm;
  /** Lambda throttles any of the functions. */
  public readonly functionThrottlesAlarm: cloudwatch.Alarm;
  /** More than `apiServerErrorRateAlarmThreshold` percent of API requests get a 5xx. */
  public readonly apiServerErrorRateAlarm: cloudwatch.Alarm;
  /** Every alarm above. */
  public readonly alarms: cloudwatch.Alarm[];

  private readonly removalPolicy: RemovalPolicy;
  private readonly logRetention: logs.RetentionDays;
  private readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: WebhookFanoutProps = {}) {
    super(scope, id);
    const config = resolveConfig(props);
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.metricsNamespace = config.metricsNamespace;

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

    const shared = {
      memorySize: config.memorySize,
      environment: config.environment,
      applicationLogLevelV2: lambda.ApplicationLogLevel[config.logLevel],
      systemLogLevelV2: lambda.SystemLogLevel[config.systemLogLevel],
    };

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

    this.wireIngest(config.inlineFanoutLimit > 0);
    this.wireApi(config.tenantRateLimitPerSecond !== undefined);
    this.wireFanout(config.fanoutMaxConcurrency);
    this.wireDelivery(config.deliveryBatchSize, config.deliveryMaxConcurrency);
    for (const fn of [this.ingestFunction, this.apiFunction, this.fanoutFunction, this.deliveryFunction]) {
      acknowledgeKeyGrantWildcards(fn);
    }

    this.apiAccessLogGroup = this.createLogGroup('ApiAccessLogGroup');
    this.httpApi = this.createHttpApi(config.apiRateLimit, config.apiBurstLimit);

    this.fanoutDeadLetterQueueAlarm = this.deadLetterQueueAlarm('FanoutDeadLetterQueueAlarm', this.fanoutDeadLetterQueue, 'fan-out');
    this.deliveryDeadLetterQueueAlarm = this.deadLetterQueueAlarm('DeliveryDeadLetterQueueAlarm', this.deliveryDeadLetterQueue, 'delivery');
    this.deliveryLagAlarm = this.metricDeliveryLag({ period: ALARM_PERIOD }).createAlarm(this, 'DeliveryLagAlarm', {
      alarmDescription:
        `Delivery attempts start more than ${config.deliveryLagAlarmSeconds} s after they were due (p99, 15 minutes). ` +
        'Runbook: docs/operations.md, "Delivery lag".',
      threshold: config.deliveryLagAlarmSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.ingestErrorsAlarm = this.functionErrorsAlarm('IngestErrorsAlarm', this.ingestFunction, 'ingest', config.functionErrorsThreshold);
    this.apiErrorsAlarm = this.functionErrorsAlarm('ApiErrorsAlarm', this.apiFunction, 'api', config.functionErrorsThreshold);
    this.fanoutErrorsAlarm = this.functionErrorsAlarm('FanoutErrorsAlarm', this.fanoutFunction, 'fan-out', config.functionErrorsThreshold);
    this.deliveryErrorsAlarm = this.functionErrorsAlarm('DeliveryErrorsAlarm', this.deliveryFunction, 'delivery', config.functionErrorsThreshold);
    this.functionThrottlesAlarm = new cloudwatch.Alarm(this, 'FunctionThrottlesAlarm', {
      metric: this.metricFunctionThrottles({ period: ALARM_PERIOD }),
      alarmDescription: 'Lambda throttled invocations of the webhook fan-out functions. Runbook: docs/operations.md, "Function throttles".',
      threshold: config.functionThrottlesThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.apiServerErrorRateAlarm = new cloudwatch.Alarm(this, 'ApiServerErrorRateAlarm', {
      metric: this.metricApiServerErrorRate({ period: ALARM_PERIOD, minimumRequests: config.apiMinimumRequests }),
      alarmDescription:
        `More than ${config.apiServerErrorRatePercent}% of API requests got a 5xx, in periods of at least ` +
        `${config.apiMinimumRequests} requests, for 15 minutes. Runbook: docs/operations.md, "API 5xx rate".`,
      threshold: config.apiServerErrorRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms = [
      this.fanoutDeadLetterQueueAlarm,
      this.deliveryDeadLetterQueueAlarm,
      this.deliveryLagAlarm,
      this.apiServerErrorRateAlarm,
      this.ingestErrorsAlarm,
      this.apiErrorsAlarm,
      this.fanoutErrorsAlarm,
      this.deliveryErrorsAlarm,
      this.functionThrottlesAlarm,
    ];
    if (props.alarmTopic) this.addAlarmTopic(props.alarmTopic);
    this.dashboard = this.createDashboard(config.deliveryLagAlarmSeconds, config.apiServerErrorRatePercent);
  }

  /**
   * Has every alarm notify the topic when it fires and when it is OK again (what the `alarmTopic`
   * prop does), for a topic made after the construct, e.g. one encrypted with its `key`.
   */
  public addAlarmTopic(topic: sns.ITopic): void {
    const action = new SnsAction(topic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  /** Events accepted by `POST /v1/events` (202 answers, idempotent repeats included); Sum. */
  public metricEventsAccepted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric(METRIC_NAMES.eventsAccepted, 'Sum', props);
  }

  /**
   * Delivery messages sent per event, by ingest for small tenants and by fan-out otherwise (a set of
   * more than 10,000 subscriptions adds one value per continuation); Sum by default, Average and
   * Maximum give the fan-out size.
   */
  public metricFanoutDeliveries(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric(METRIC_NAMES.fanoutDeliveries, 'Sum', props);
  }

  /** HTTP attempts made by the delivery function; Sum. */
  public metricDeliveryAttempts(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric(METRIC_NAMES.deliveryAttempts, 'Sum', props);
  }

  /** Attempts answered with a 2xx; Sum. */
  public metricDeliverySucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric(METRIC_NAMES.deliverySucceeded, 'Sum', props);
  }

  /** Failed attempts for one reason (`server_error`, `timeout`, `throttled`, ...); Sum. */
  public metricDeliveryFailed(reason: FailureReason, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric(METRIC_NAMES.deliveryFailed, 'Sum', props, { [METRIC_DIMENSIONS.reason]: reason });
  }

  /** Failed attempts, all reasons: attempts minus successes. */
  public metricDeliveryFailures(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return new cloudwatch.MathExpression({
      expression: 'attempts - succeeded',
      label: 'Failed attempts',
      period: props?.period,
      usingMetrics: { attempts: this.metricDeliveryAttempts(props), succeeded: this.metricDeliverySucceeded(props) },
    });
  }

  /** Percentage of attempts answered with a 2xx. */
  public metricDeliverySuccessRate(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return new cloudwatch.MathExpression({
      expression: '100 * succeeded / attempts',
      label: 'Success rate (%)',
      period: props?.period,
      usingMetrics: { attempts: this.metricDeliveryAttempts(props), succeeded: this.metricDeliverySucceeded(props) },
    });
  }

  /** Deliveries that ran out of attempts or failed for good (recorded `exhausted`); Sum. */
  public metricDeliveriesExhausted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric(METRIC_NAMES.deliveriesExhausted, 'Sum', props);
  }

  /** Milliseconds per attempt, connect to last byte; p99 by default. */
  public metricDeliveryLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric(METRIC_NAMES.deliveryLatency, 'p99', props);
  }

  /** Milliseconds from an event's acceptance to the 2xx of a delivery (first runs, not replays); p99 by default. */
  public metricEndToEndLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric(METRIC_NAMES.endToEndLatency, 'p99', props);
  }

  /**
   * Seconds between when an attempt was due (the event's acceptance for a first attempt, the
   * scheduled retry time after) and when it started, per attempt; rate-limited subscriptions, which
   * wait by design, are left out. p99 by default.
   */
  public metricDeliveryLag(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric(METRIC_NAMES.deliveryLag, 'p99', props);
  }

  /** Subscriptions the delivery function disabled (410 Gone, or failing too long); Sum. */
  public metricSubscriptionsDisabled(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric(METRIC_NAMES.subscriptionsDisabled, 'Sum', props);
  }

  /** Deliveries put off because their subscription was over its rate limit (not attempts); Sum. */
  public metricRateLimitDeferrals(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric(METRIC_NAMES.rateLimitDeferrals, 'Sum', props);
  }

  /**
   * Deliveries put off without an attempt, by `reason`: `circuit_open` (the endpoint's circuit is
   * open), `pool_wait` (no pooled connection came free in time), `aborted` (the invocation was
   * ending before the request was sent); Sum.
   */
  public metricDeliveriesDeferred(reason: 'circuit_open' | 'pool_wait' | 'aborted', props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric(METRIC_NAMES.deliveriesDeferred, 'Sum', props, { [METRIC_DIMENSIONS.reason]: reason });
  }

  /** Endpoint circuits opened (attempts in a row without an answer); Sum. */
  public metricCircuitsOpened(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric(METRIC_NAMES.circuitsOpened, 'Sum', props);
  }

  /** Endpoint circuits closed (the first answer after they opened); Sum. */
  public metricCircuitsClosed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric(METRIC_NAMES.circuitsClosed, 'Sum', props);
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

  /** Fan-out messages waiting to be received. */
  public metricFanoutQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.fanoutQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...props });
  }

  /** Age of the oldest fan-out message; it ignores messages received three times or more. */
  public metricFanoutQueueAgeOfOldestMessage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.fanoutQueue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', ...props });
  }

  /**
   * Age of the oldest delivery message. Retries wait in the queue, so hours are normal here; it
   * ignores messages received three times or more. DeliveryLag says whether attempts are late.
   */
  public metricDeliveryQueueAgeOfOldestMessage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deliveryQueue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', ...props });
  }

  /** Errors of all four functions together. */
  public metricFunctionErrors(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.sumOverFunctions('Function errors', (fn) => fn.metricErrors(props), props);
  }

  /** Throttled invocations of all four functions together. */
  public metricFunctionThrottles(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.sumOverFunctions('Function throttles', (fn) => fn.metricThrottles(props), props);
  }

  /** Requests the HTTP API received; Sum. */
  public metricApiRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.httpApi.metricCount({ statistic: 'Sum', ...props });
  }

  /** 4xx answers of the HTTP API: bad keys, bad input, the stage throttle's 429. */
  public metricApiClientErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.httpApi.metricClientError(props);
  }

  /** 5xx answers of the HTTP API; bad input must never cause one. */
  public metricApiServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.httpApi.metricServerError(props);
  }

  /** Milliseconds from request to response at API Gateway; p99 by default. */
  public metricApiLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.httpApi.metricLatency({ statistic: 'p99', ...props });
  }

  /**
   * Percentage of API requests answered with a 5xx; 0 in periods with fewer than
   * `minimumRequests` requests (default 1), so a quiet API cannot page on one error.
   */
  public metricApiServerErrorRate(
    props?: cloudwatch.MetricOptions & { readonly minimumRequests?: number },
  ): cloudwatch.IMetric {
    const { minimumRequests = 1, ...options } = props ?? {};
    return new cloudwatch.MathExpression({
      expression: `IF(requests >= ${minimumRequests}, 100 * errors / requests, 0)`,
      label: '5xx rate (%)',
      period: options.period,
      usingMetrics: {
        requests: this.metricApiRequests(options),
        errors: this.metricApiServerErrors({ statistic: 'Sum', ...options }),
      },
    });
  }

  private customMetric(
    metricName: MetricName,
    statistic: string,
    props?: cloudwatch.MetricOptions,
    dimensions: Record<string, string> = {},
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName,
      statistic,
      ...props,
      dimensionsMap: { [METRIC_DIMENSIONS.service]: DEFAULTS.serviceName, ...dimensions, ...props?.dimensionsMap },
    });
  }

  private sumOverFunctions(
    label: string,
    metric: (fn: lambda.Function) => cloudwatch.Metric,
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.IMetric {
    return new cloudwatch.MathExpression({
      expression: 'ingest + api + fanout + delivery',
      label,
      period: props?.period,
      usingMetrics: {
        ingest: metric(this.ingestFunction),
        api: metric(this.apiFunction),
        fanout: metric(this.fanoutFunction),
        delivery: metric(this.deliveryFunction),
      },
    });
  }

  private deadLetterQueueAlarm(id: string, queue: sqs.Queue, stage: string): cloudwatch.Alarm {
    return queue
      .metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1) })
      .createAlarm(this, id, {
        alarmDescription:
          `A message is in the ${stage} dead-letter queue: something could not be processed. ` +
          'Runbook: docs/operations.md, "Dead-letter queues: inspect and redrive".',
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
  }

  private functionErrorsAlarm(id: string, fn: lambda.Function, role: string, threshold: number): cloudwatch.Alarm {
    return fn.metricErrors({ statistic: 'Sum', period: ALARM_PERIOD }).createAlarm(this, id, {
      alarmDescription:
        `The ${role} function crashed or timed out in 2 of the last 3 five-minute periods. ` +
        'Runbook: docs/operations.md, "Function errors".',
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
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
      | 'description'
      | 'timeout'
      | 'memorySize'
      | 'environment'
      | 'vpc'
      | 'vpcSubnets'
      | 'applicationLogLevelV2'
      | 'systemLogLevelV2'
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
      bundling: FUNCTION_BUNDLING,
    });
    const cfnFunction = fn.node.defaultChild as lambda.CfnFunction;
    dependOnRolePoliciesOnly(cfnFunction, role);
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

  /**
   * Ingest stores events and their idempotency claims (GetItem, PutItem, UpdateItem; the tenant rate
   * limit's counters are UpdateItems there too) and reads API keys by id. Only with inline fan-out does
   * it read subscriptions (Query) and send to the delivery queue.
   */
  private wireIngest(inlineFanout: boolean): void {
    const fn = this.ingestFunction;
    grantTable(fn, this.eventsTable, this.key, ['GetItem', 'PutItem', 'UpdateItem']);
    grantTable(fn, this.apiKeysTable, this.key, ['GetItem']);
    grantSend(fn, this.fanoutQueue, this.key);
    this.addEnvironment(fn, {
      [ENV.eventsTable]: this.eventsTable.tableName,
      [ENV.apiKeysTable]: this.apiKeysTable.tableName,
      [ENV.fanoutQueueUrl]: this.fanoutQueue.queueUrl,
    });
    if (!inlineFanout) return;
    // Small fan-outs go straight to the delivery queue.
    grantTable(fn, this.subscriptionsTable, this.key, ['Query']);
    grantSend(fn, this.deliveryQueue, this.key);
    this.addEnvironment(fn, {
      [ENV.subscriptionsTable]: this.subscriptionsTable.tableName,
      [ENV.deliveryQueueUrl]: this.deliveryQueue.queueUrl,
    });
  }

  /**
   * The api function manages subscriptions, reads events, the delivery log (Query, BatchGetItem) and
   * API keys by id, and writes the events table only for the tenant rate limit's counters.
   */
  private wireApi(tenantRateLimit: boolean): void {
    const fn = this.apiFunction;
    grantTable(fn, this.eventsTable, this.key, tenantRateLimit ? ['GetItem', 'UpdateItem'] : ['GetItem']);
    grantTable(fn, this.subscriptionsTable, this.key, ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem']);
    grantTable(fn, this.deliveriesTable, this.key, ['Query', 'BatchGetItem']);
    grantTable(fn, this.apiKeysTable, this.key, ['GetItem']);
    // Replay and recover go through fan-out.
    grantSend(fn, this.fanoutQueue, this.key);
    this.addEnvironment(fn, {
      [ENV.eventsTable]: this.eventsTable.tableName,
      [ENV.subscriptionsTable]: this.subscriptionsTable.tableName,
      [ENV.deliveriesTable]: this.deliveriesTable.tableName,
      [ENV.apiKeysTable]: this.apiKeysTable.tableName,
      [ENV.fanoutQueueUrl]: this.fanoutQueue.queueUrl,
    });
  }

  /** Fan-out only reads: a subscription or a page of them, the event, and (recoveries) a subscription's delivery records. */
  private wireFanout(maxConcurrency: number): void {
    const fn = this.fanoutFunction;
    grantTable(fn, this.subscriptionsTable, this.key, ['GetItem', 'Query']);
    grantTable(fn, this.eventsTable, this.key, ['GetItem']);
    grantTable(fn, this.deliveriesTable, this.key, ['Query', 'BatchGetItem']);
    // Large subscriber sets are paged: the function enqueues a continuation of itself.
    grantSend(fn, this.fanoutQueue, this.key);
    grantSend(fn, this.deliveryQueue, this.key);
    grantSend(fn, this.fanoutDeadLetterQueue, this.key);
    consumeQueue(fn, this.fanoutQueue, this.key, { batchSize: 10, maxConcurrency });
    this.addEnvironment(fn, {
      [ENV.eventsTable]: this.eventsTable.tableName,
      [ENV.subscriptionsTable]: this.subscriptionsTable.tableName,
      [ENV.deliveriesTable]: this.deliveriesTable.tableName,
      [ENV.fanoutQueueUrl]: this.fanoutQueue.queueUrl,
      [ENV.fanoutDlqUrl]: this.fanoutDeadLetterQueue.queueUrl,
      [ENV.deliveryQueueUrl]: this.deliveryQueue.queueUrl,
    });
  }

  /**
   * Delivery records attempts, group logs, slow-attempt slots and subscription rate counters in the
   * delivery log (GetItem, PutItem, UpdateItem), updates subscriptions (health, circuit, disable) and
   * publishes operational events as ingest does.
   */
  private wireDelivery(batchSize: number, maxConcurrency: number): void {
    const fn = this.deliveryFunction;
    grantTable(fn, this.deliveriesTable, this.key, ['GetItem', 'PutItem', 'UpdateItem']);
    // A 410 Gone, or failing for too long, disables the subscription.
    grantTable(fn, this.subscriptionsTable, this.key, ['GetItem', 'UpdateItem']);
    // Operational events (webhook.delivery.exhausted, webhook.subscription.disabled) are published
    // like any other: stored, then handed to fan-out.
    grantTable(fn, this.eventsTable, this.key, ['GetItem', 'PutItem', 'UpdateItem']);
    grantSend(fn, this.fanoutQueue, this.key);
    grantSend(fn, this.deliveryDeadLetterQueue, this.key);
    // A delivery of a group message that needs another attempt leaves the group as a message of its own.
    grantSend(fn, this.deliveryQueue, this.key);
    consumeQueue(fn, this.deliveryQueue, this.key, {
      batchSize,
      // Lambda requires a batching window for batches above 10.
      maxBatchingWindow: batchSize > SQS_BATCH_SIZE_WITHOUT_WINDOW ? Duration.seconds(1) : undefined,
      maxConcurrency,
      // Retries wait through the visibility timeout; an invocation held up also takes messages itself.
      extraActions: ['sqs:ChangeMessageVisibility'],
    });
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
    // Authentication runs inside the functions (docs/decisions.md): authorizers cannot answer in the error shape.
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
    stage.accessLogSettings = { destinationArn: this.apiAccessLogGroup.logGroupArn, format: ACCESS_LOG_FORMAT };
    return api;
  }

  private createDashboard(deliveryLagAlarmSeconds: number, apiServerErrorRatePercent: number): cloudwatch.Dashboard {
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
    const header = (markdown: string) => new cloudwatch.TextWidget({ markdown, width: 24, height: 1 });
    const graph = (width: number, props: Omit<cloudwatch.GraphWidgetProps, 'width'>) =>
      new cloudwatch.GraphWidget({ width, ...props });
    // One series per failure reason, whichever reasons occurred: a reason that never happened costs nothing.
    const failuresByReason = new cloudwatch.MathExpression({
      expression:
        `SEARCH('{"${this.metricsNamespace}",${METRIC_DIMENSIONS.service},${METRIC_DIMENSIONS.reason}} ` +
        `MetricName="${METRIC_NAMES.deliveryFailed}" ${METRIC_DIMENSIONS.service}="${DEFAULTS.serviceName}"', 'Sum', 300)`,
      // A dynamic label: each series is named by its reason.
      label: "failed ${PROP('Dim.reason')}",
      usingMetrics: {},
    });

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard');
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }));

    dashboard.addWidgets(header('### API'));
    dashboard.addWidgets(
      graph(8, {
        title: 'API: requests, 4xx, 5xx',
        left: [
          this.metricApiRequests({ label: 'requests' }),
          this.metricApiClientErrors({ label: '4xx' }),
          this.metricApiServerErrors({ label: '5xx' }),
        ],
      }),
      graph(8, {
        title: 'API: latency (ms)',
        left: [
          this.metricApiLatency({ statistic: 'p50', label: 'p50' }),
          this.metricApiLatency({ statistic: 'p99', label: 'p99' }),
          this.httpApi.metricIntegrationLatency({ statistic: 'p99', label: 'integration p99' }),
        ],
      }),
      graph(8, {
        title: 'API: 5xx rate (%)',
        left: [this.metricApiServerErrorRate()],
        leftAnnotations: [{ value: apiServerErrorRatePercent, label: 'alarm' }],
      }),
    );

    dashboard.addWidgets(header('### Ingest and fan-out'));
    dashboard.addWidgets(
      graph(12, { title: 'Ingest: events accepted', left: [this.metricEventsAccepted({ label: 'events' })] }),
      graph(12, {
        title: 'Fan-out: deliveries per fan-out message',
        left: [this.metricFanoutDeliveries({ label: 'sent' })],
        right: [
          this.metricFanoutDeliveries({ statistic: 'Average', label: 'average' }),
          this.metricFanoutDeliveries({ statistic: 'Maximum', label: 'maximum' }),
        ],
      }),
    );

    dashboard.addWidgets(header('### Delivery'));
    dashboard.addWidgets(
      graph(6, {
        title: 'Delivery: success rate (%)',
        left: [this.metricDeliverySuccessRate()],
        leftYAxis: { min: 0, max: 100 },
      }),
      graph(6, {
        title: 'Delivery: attempts by outcome',
        stacked: true,
        left: [this.metricDeliverySucceeded({ label: 'succeeded' }), failuresByReason],
      }),
      graph(6, {
        title: 'Delivery: attempt latency (ms)',
        left: ['p50', 'p90', 'p99'].map((statistic) => this.metricDeliveryLatency({ statistic, label: statistic })),
      }),
      graph(6, {
        title: 'Delivery: end-to-end latency (ms)',
        left: ['p50', 'p99'].map((statistic) => this.metricEndToEndLatency({ statistic, label: statistic })),
      }),
    );
    dashboard.addWidgets(
      graph(12, {
        title: 'Delivery: lag p99 (s)',
        left: [this.metricDeliveryLag({ label: 'p99' })],
        leftAnnotations: [{ value: deliveryLagAlarmSeconds, label: 'alarm' }],
      }),
      graph(12, {
        title: 'Delivery: exhausted, disabled, rate-limited',
        left: [
          this.metricDeliveriesExhausted({ label: 'exhausted' }),
          this.metricSubscriptionsDisabled({ label: 'subscriptions disabled' }),
        ],
        right: [this.metricRateLimitDeferrals({ label: 'rate-limit deferrals' })],
      }),
    );
    dashboard.addWidgets(
      graph(12, {
        title: 'Endpoints: circuits opened and closed',
        left: [this.metricCircuitsOpened({ label: 'opened' }), this.metricCircuitsClosed({ label: 'closed' })],
      }),
      graph(12, {
        title: 'Endpoints: deliveries waiting without an attempt',
        left: [
          this.metricDeliveriesDeferred('circuit_open', { label: 'circuit open' }),
          this.metricDeliveriesDeferred('pool_wait', { label: 'no free connection' }),
          this.metricDeliveriesDeferred('aborted', { label: 'invocation ending' }),
        ],
      }),
    );

    dashboard.addWidgets(header('### Queues'));
    dashboard.addWidgets(
      graph(8, {
        title: 'Queues: depth',
        left: perQueue(queues, (q) => q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }), ' visible'),
        // Retries wait here too: the delivery handler defers a message through its visibility timeout.
        right: perQueue(
          queues,
          (q) => q.metricApproximateNumberOfMessagesNotVisible({ statistic: 'Maximum' }),
          ' in flight or waiting',
        ),
      }),
      graph(8, {
        title: 'Queues: age of oldest message (s)',
        left: perQueue(queues, (q) => q.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' })),
      }),
      graph(8, {
        title: 'Queues: dead-letter depth',
        left: perQueue(
          prefixKeys('dlq ', deadLetterQueues),
          (q) => q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
        ),
      }),
    );

    dashboard.addWidgets(header('### Lambda'));
    dashboard.addWidgets(
      graph(6, { title: 'Lambda: errors', left: perFunction((fn) => fn.metricErrors()) }),
      graph(6, { title: 'Lambda: throttles', left: perFunction((fn) => fn.metricThrottles()) }),
      graph(6, {
        title: 'Lambda: concurrency',
        left: perFunction((fn) => fn.metric('ConcurrentExecutions', { statistic: 'Maximum' })),
      }),
      graph(6, { title: 'Lambda: duration p99 (ms)', left: perFunction((fn) => fn.metricDuration({ statistic: 'p99' })) }),
    );
    return dashboard;
  }
}

/**
 * Lambda's L2 makes a function depend on its whole role, the role's policies and the role itself. The
 * function's `Role` (a GetAtt of the role's ARN) already orders it after the role, so that DependsOn
 * entry is redundant (cfn-lint W3005); every other dependency, the policies first, is kept. Resolved
 * at synthesis, after CDK has turned construct dependencies into resource ones.
 */
function dependOnRolePoliciesOnly(fn: lambda.CfnFunction, role: iam.Role): void {
  const roleResource = role.node.defaultChild;
  fn.addOverride(
    'DependsOn',
    Lazy.list(
      {
        produce: () =>
          fn
            .obtainDependencies()
            .filter((target): target is CfnResource => CfnResource.isCfnResource(target) && target !== roleResource)
            .filter((target) => Stack.of(target) === Stack.of(fn))
            .sort((a, b) => a.node.path.localeCompare(b.node.path))
            .map((target) => target.logicalId),
      },
      { omitEmpty: true },
    ),
  );
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
  readonly tenantRateLimitPerSecond: number | undefined;
  readonly inlineFanoutLimit: number;
  readonly metricsNamespace: string;
  readonly logLevel: WebhookFanoutLogLevel;
  readonly systemLogLevel: WebhookFanoutSystemLogLevel;
  readonly deliveryLagAlarmSeconds: number;
  readonly apiServerErrorRatePercent: number;
  readonly apiMinimumRequests: number;
  readonly functionErrorsThreshold: number;
  readonly functionThrottlesThreshold: number;
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

  const slowAttemptMs = props.slowAttemptThreshold?.toMilliseconds() ?? DEFAULTS.slowAttemptMs;
  requireRange('slowAttemptThreshold (milliseconds)', slowAttemptMs, 100, deliveryTimeoutSeconds * 1000);
  const maxSlowAttemptsPerEndpoint = props.maxSlowAttemptsPerEndpoint ?? DEFAULTS.maxSlowAttemptsPerEndpoint;
  requireRange('maxSlowAttemptsPerEndpoint', maxSlowAttemptsPerEndpoint, 0, 1000);
  const circuitBreakerThreshold = props.circuitBreakerThreshold ?? DEFAULTS.circuitBreakerThreshold;
  requireRange('circuitBreakerThreshold', circuitBreakerThreshold, 0, 1000);

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
  const tenantRateLimit = props.tenantRateLimitPerSecond;
  if (tenantRateLimit !== undefined) requireRange('tenantRateLimitPerSecond', tenantRateLimit, 1, 100_000);
  const inlineFanoutLimit = props.inlineFanoutLimit ?? DEFAULTS.inlineFanoutLimit;
  requireRange('inlineFanoutLimit', inlineFanoutLimit, 0, 100);
  const subscriptionLimits = subscriptionLimitsEnvironment(props);

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
  const observability = resolveObservability(props);

  return {
    deliveryTimeoutSeconds,
    deliveryBatchSize,
    deliveryMaxConcurrency,
    fanoutMaxConcurrency,
    memorySize,
    apiRateLimit,
    apiBurstLimit,
    tenantRateLimitPerSecond: tenantRateLimit,
    inlineFanoutLimit,
    ...observability,
    environment: {
      [ENV.retrySchedule]: retrySeconds.join(','),
      [ENV.timeoutMs]: String(deliveryTimeoutSeconds * 1000),
      [ENV.slowAttemptMs]: String(slowAttemptMs),
      [ENV.maxSlowAttemptsPerEndpoint]: String(maxSlowAttemptsPerEndpoint),
      [ENV.circuitBreakerThreshold]: String(circuitBreakerThreshold),
      [ENV.allowedPrivateNetworks]: allowedPrivateNetworks.join(','),
      [ENV.allowHttp]: String(props.allowHttp ?? false),
      [ENV.maxBodyBytes]: String(maxBodyBytes),
      [ENV.eventRetentionDays]: String(eventRetentionDays),
      [ENV.deliveryLogRetentionDays]: String(deliveryLogRetentionDays),
      [ENV.secretGraceSeconds]: String(secretGraceSeconds),
      [ENV.apiKeyCacheSeconds]: String(apiKeyCacheSeconds),
      [ENV.disableFailingAfterSeconds]: String(disableFailingAfterSeconds),
      [ENV.successLogSampleRate]: String(observability.successLogSampleRate),
      ...(tenantRateLimit === undefined ? {} : { [ENV.tenantRateLimitPerSecond]: String(tenantRateLimit) }),
      [ENV.inlineFanoutLimit]: String(inlineFanoutLimit),
      ...subscriptionLimits,
      [POWERTOOLS_ENV.serviceName]: DEFAULTS.serviceName,
      [POWERTOOLS_ENV.logLevel]: observability.logLevel,
      [POWERTOOLS_ENV.metricsNamespace]: observability.metricsNamespace,
    },
  };
}

function resolveObservability(props: WebhookFanoutProps) {
  const metricsNamespace = props.metricsNamespace ?? DEFAULTS.metricsNamespace;
  if (!NAMESPACE_PATTERN.test(metricsNamespace) || metricsNamespace.trim() === '' || metricsNamespace.startsWith('AWS/')) {
    throw new WebhookFanoutPropsError(
      `metricsNamespace is '${metricsNamespace}'; it must be 1 to 255 letters, digits, spaces or . _ - / # :, ` +
        'and not start with AWS/ (reserved for AWS services)',
    );
  }
  const logLevel = props.logLevel ?? 'INFO';
  if (logLevel !== 'DEBUG' && logLevel !== 'INFO') {
    throw new WebhookFanoutPropsError(
      `logLevel is '${String(logLevel)}'; it must be 'DEBUG' or 'INFO' (Lambda would drop the metric lines at WARN)`,
    );
  }
  const systemLogLevel = props.systemLogLevel ?? 'WARN';
  if (!SYSTEM_LOG_LEVELS.includes(systemLogLevel)) {
    throw new WebhookFanoutPropsError(`systemLogLevel is '${String(systemLogLevel)}'; it must be 'DEBUG', 'INFO' or 'WARN'`);
  }
  const successLogSampleRate = props.successLogSampleRate ?? DEFAULTS.successLogSampleRate;
  if (!Number.isFinite(successLogSampleRate) || successLogSampleRate < 0 || successLogSampleRate > 1) {
    throw new WebhookFanoutPropsError(`successLogSampleRate is ${successLogSampleRate}; it must be a number from 0 to 1`);
  }
  const deliveryLagAlarmSeconds = wholeSeconds(
    'deliveryLagAlarmThreshold',
    props.deliveryLagAlarmThreshold ?? DEFAULT_DELIVERY_LAG_ALARM_THRESHOLD,
  );
  requireRange('deliveryLagAlarmThreshold (seconds)', deliveryLagAlarmSeconds, 1, 14 * 86400);
  const apiServerErrorRatePercent = props.apiServerErrorRateAlarmThreshold ?? DEFAULT_API_SERVER_ERROR_RATE_PERCENT;
  if (!Number.isFinite(apiServerErrorRatePercent) || apiServerErrorRatePercent < 0 || apiServerErrorRatePercent >= 100) {
    throw new WebhookFanoutPropsError(
      `apiServerErrorRateAlarmThreshold is ${apiServerErrorRatePercent}; it must be a percentage from 0 to below 100`,
    );
  }
  const apiMinimumRequests = props.apiServerErrorAlarmMinimumRequests ?? DEFAULT_API_SERVER_ERROR_MIN_REQUESTS;
  requireRange('apiServerErrorAlarmMinimumRequests', apiMinimumRequests, 1, Number.MAX_SAFE_INTEGER);
  const functionErrorsThreshold = props.functionErrorsAlarmThreshold ?? 1;
  requireRange('functionErrorsAlarmThreshold', functionErrorsThreshold, 1, Number.MAX_SAFE_INTEGER);
  const functionThrottlesThreshold = props.functionThrottlesAlarmThreshold ?? 1;
  requireRange('functionThrottlesAlarmThreshold', functionThrottlesThreshold, 1, Number.MAX_SAFE_INTEGER);
  return {
    metricsNamespace,
    logLevel,
    systemLogLevel,
    successLogSampleRate,
    deliveryLagAlarmSeconds,
    apiServerErrorRatePercent,
    apiMinimumRequests,
    functionErrorsThreshold,
    functionThrottlesThreshold,
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

/** Each subscription limit, from its prop or its default, as its environment variable. */
function subscriptionLimitsEnvironment(props: WebhookFanoutProps): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(SUBSCRIPTION_LIMITS) as SubscriptionLimitName[]).map((name) => {
      const { env, fallback, min, max } = SUBSCRIPTION_LIMITS[name];
      const value = props[name] ?? fallback;
      requireRange(name, value, min, max);
      return [env, String(value)];
    }),
  );
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
