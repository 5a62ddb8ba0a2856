import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';

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
   * Slow attempts all endpoints together may have in flight at once across every delivery function
   * instance, 0 to `deliveryMaxConcurrency` - 1; 0 turns the limit off. A slow attempt holds its
   * invocation until it ends, so this keeps the rest of the delivery concurrency for endpoints that
   * answer, however many endpoints stop answering at once. Past it, slow attempts are cut at the
   * slow-attempt threshold. Each slow attempt costs two more DynamoDB writes on one item.
   * @default half of deliveryMaxConcurrency (25)
   */
  readonly maxSlowAttempts?: number;
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
   * How long events are kept (the replay window); whole days, 1 to 3650, longer than the retry schedule.
   * @default Duration.days(30)
   */
  readonly eventRetention?: Duration;
  /**
   * How long delivery records are kept; whole days, 1 to 3650, longer than the retry schedule.
   * @default Duration.days(30)
   */
  readonly deliveryLogRetention?: Duration;
  /**
   * How long the previous secret keeps signing after a rotation; whole seconds, 0 to 30 days.
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
   * Largest accepted request body in bytes, 1024 (1 KiB) to 358400 (350 KiB, so an event fits a DynamoDB item).
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
