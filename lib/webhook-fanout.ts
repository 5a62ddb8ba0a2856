import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC_DIMENSIONS, METRIC_NAMES } from '../lambdas/core/telemetry-names';
import type { FailureReason } from '../lambdas/core/outcome';
import { resolveConfig } from './webhook-fanout/config';
import { createFunctions, functionTimeouts } from './webhook-fanout/functions';
import { createHttpApi } from './webhook-fanout/http-api';
import { createAlarms } from './webhook-fanout/observability/alarms';
import { createDashboard } from './webhook-fanout/observability/dashboard';
import { customMetric, sumOverFunctions } from './webhook-fanout/observability/metrics';
import type { WebhookFanoutProps } from './webhook-fanout/props';
import { createQueues } from './webhook-fanout/queues';
import { createLogGroup, createStorage } from './webhook-fanout/storage';
import { wireFunctions } from './webhook-fanout/wiring';

export { FUNCTION_BUNDLING, HANDLER_SOURCE_METADATA } from './webhook-fanout/functions';
export { WebhookFanoutPropsError } from './webhook-fanout/props';
export type {
  WebhookFanoutApiThrottle,
  WebhookFanoutLogLevel,
  WebhookFanoutProps,
  WebhookFanoutSystemLogLevel,
} from './webhook-fanout/props';

/**
 * Serverless webhook fan-out: an HTTP API to accept events and manage subscriptions, a fan-out
 * queue and function, a delivery queue and function that sends signed, retried webhooks, and the
 * DynamoDB tables that hold events, subscriptions, the delivery log and API keys.
 *
 * The constructor reads as the data flow (each part is built in lib/webhook-fanout/):
 *
 *   POST /v1/events -> ingest -> fan-out queue -> fanout -> delivery queue -> delivery -> endpoints
 *   other routes    -> api (subscriptions, events, delivery log; replays go to the fan-out queue)
 *
 * Ingest sends the events of tenants with few subscriptions straight to the delivery queue. Alarms
 * and a dashboard watch every stage.
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

  private readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: WebhookFanoutProps = {}) {
    super(scope, id);
    const config = resolveConfig(props);
    this.metricsNamespace = config.metricsNamespace;

    // Storage: the key, and the tables the functions share.
    const storage = createStorage(this, props.encryptionKey, config.removalPolicy);
    this.key = storage.key;
    this.eventsTable = storage.eventsTable;
    this.subscriptionsTable = storage.subscriptionsTable;
    this.deliveriesTable = storage.deliveriesTable;
    this.apiKeysTable = storage.apiKeysTable;

    // Queues between the stages: fan-out, then delivery, each with its dead-letter queue. A queue's
    // visibility timeout follows the timeout of the function that consumes it.
    const timeouts = functionTimeouts(config.deliveryTimeoutSeconds);
    const queues = createQueues(this, this.key, config.removalPolicy, timeouts);
    this.fanoutQueue = queues.fanoutQueue;
    this.fanoutDeadLetterQueue = queues.fanoutDeadLetterQueue;
    this.deliveryQueue = queues.deliveryQueue;
    this.deliveryDeadLetterQueue = queues.deliveryDeadLetterQueue;

    // Functions: ingest and api behind the HTTP API, fan-out and delivery on their queues.
    const functions = createFunctions(this, config, timeouts);
    this.ingestFunction = functions.ingestFunction;
    this.apiFunction = functions.apiFunction;
    this.fanoutFunction = functions.fanoutFunction;
    this.deliveryFunction = functions.deliveryFunction;
    wireFunctions(functions, { ...storage, ...queues }, config);

    // The HTTP API in front: POST /v1/events to ingest, every other route to api.
    this.apiAccessLogGroup = createLogGroup(this, 'ApiAccessLogGroup', config);
    this.httpApi = createHttpApi(this, {
      ingestFunction: this.ingestFunction,
      apiFunction: this.apiFunction,
      accessLogGroup: this.apiAccessLogGroup,
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
    });

    // Observability: alarms on the public metrics below, and a dashboard of them.
    const alarms = createAlarms(this, config);
    this.fanoutDeadLetterQueueAlarm = alarms.fanoutDeadLetterQueueAlarm;
    this.deliveryDeadLetterQueueAlarm = alarms.deliveryDeadLetterQueueAlarm;
    this.deliveryLagAlarm = alarms.deliveryLagAlarm;
    this.ingestErrorsAlarm = alarms.ingestErrorsAlarm;
    this.apiErrorsAlarm = alarms.apiErrorsAlarm;
    this.fanoutErrorsAlarm = alarms.fanoutErrorsAlarm;
    this.deliveryErrorsAlarm = alarms.deliveryErrorsAlarm;
    this.functionThrottlesAlarm = alarms.functionThrottlesAlarm;
    this.apiServerErrorRateAlarm = alarms.apiServerErrorRateAlarm;
    this.alarms = alarms.all;
    if (props.alarmTopic) this.addAlarmTopic(props.alarmTopic);
    this.dashboard = createDashboard(this, config);
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
    return customMetric(this.metricsNamespace, METRIC_NAMES.eventsAccepted, 'Sum', props);
  }

  /**
   * Delivery messages sent per event, by ingest for small tenants and by fan-out otherwise (a set of
   * more than 10,000 subscriptions adds one value per continuation); Sum by default, Average and
   * Maximum give the fan-out size.
   */
  public metricFanoutDeliveries(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return customMetric(this.metricsNamespace, METRIC_NAMES.fanoutDeliveries, 'Sum', props);
  }

  /** HTTP attempts made by the delivery function; Sum. */
  public metricDeliveryAttempts(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return customMetric(this.metricsNamespace, METRIC_NAMES.deliveryAttempts, 'Sum', props);
  }

  /** Attempts answered with a 2xx; Sum. */
  public metricDeliverySucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return customMetric(this.metricsNamespace, METRIC_NAMES.deliverySucceeded, 'Sum', props);
  }

  /** Failed attempts for one reason (`server_error`, `timeout`, `throttled`, ...); Sum. */
  public metricDeliveryFailed(reason: FailureReason, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return customMetric(this.metricsNamespace, METRIC_NAMES.deliveryFailed, 'Sum', props, { [METRIC_DIMENSIONS.reason]: reason });
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
    return customMetric(this.metricsNamespace, METRIC_NAMES.deliveriesExhausted, 'Sum', props);
  }

  /** Milliseconds per attempt, connect to last byte; p99 by default. */
  public metricDeliveryLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return customMetric(this.metricsNamespace, METRIC_NAMES.deliveryLatency, 'p99', props);
  }

  /** Milliseconds from an event's acceptance to the 2xx of a delivery (first runs, not replays); p99 by default. */
  public metricEndToEndLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return customMetric(this.metricsNamespace, METRIC_NAMES.endToEndLatency, 'p99', props);
  }

  /**
   * Seconds between when an attempt was due (the event's acceptance for a first attempt, the
   * scheduled retry time after) and when it started, per attempt; rate-limited subscriptions, which
   * wait by design, are left out. p99 by default.
   */
  public metricDeliveryLag(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return customMetric(this.metricsNamespace, METRIC_NAMES.deliveryLag, 'p99', props);
  }

  /** Subscriptions the delivery function disabled (410 Gone, or failing too long); Sum. */
  public metricSubscriptionsDisabled(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return customMetric(this.metricsNamespace, METRIC_NAMES.subscriptionsDisabled, 'Sum', props);
  }

  /** Deliveries put off because their subscription was over its rate limit (not attempts); Sum. */
  public metricRateLimitDeferrals(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return customMetric(this.metricsNamespace, METRIC_NAMES.rateLimitDeferrals, 'Sum', props);
  }

  /**
   * Deliveries put off without an attempt, by `reason`: `circuit_open` (the endpoint's circuit is
   * open), `pool_wait` (no pooled connection came free in time), `aborted` (the invocation was
   * ending before the request was sent); Sum.
   */
  public metricDeliveriesDeferred(reason: 'circuit_open' | 'pool_wait' | 'aborted', props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return customMetric(this.metricsNamespace, METRIC_NAMES.deliveriesDeferred, 'Sum', props, { [METRIC_DIMENSIONS.reason]: reason });
  }

  /** Endpoint circuits opened (attempts in a row without an answer); Sum. */
  public metricCircuitsOpened(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return customMetric(this.metricsNamespace, METRIC_NAMES.circuitsOpened, 'Sum', props);
  }

  /** Endpoint circuits closed (the first answer after they opened); Sum. */
  public metricCircuitsClosed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return customMetric(this.metricsNamespace, METRIC_NAMES.circuitsClosed, 'Sum', props);
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
    return sumOverFunctions(this, 'Function errors', (fn) => fn.metricErrors(props), props);
  }

  /** Throttled invocations of all four functions together. */
  public metricFunctionThrottles(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return sumOverFunctions(this, 'Function throttles', (fn) => fn.metricThrottles(props), props);
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
}
