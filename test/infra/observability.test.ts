import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/core/resource-env';
import { METRIC_NAMES, POWERTOOLS_ENV } from '../../lambdas/core/telemetry-names';
import { WebhookFanoutPropsError, type WebhookFanoutLogLevel, type WebhookFanoutProps, type WebhookFanoutSystemLogLevel } from '../../lib/webhook-fanout';
import { actionsOf, buildConstruct, createTestApp, logicalId, resource, resourcesOfType, statementsOfRole, synthStack } from './synth';

const { stack, fanout, template } = synthStack();

const functions = {
  ingest: logicalId(stack, fanout.ingestFunction),
  api: logicalId(stack, fanout.apiFunction),
  fanout: logicalId(stack, fanout.fanoutFunction),
  delivery: logicalId(stack, fanout.deliveryFunction),
};

const alarmProperties = (tmpl: Template, alarm: Parameters<typeof logicalId>[1], owner = stack): Record<string, unknown> =>
  resource(tmpl, logicalId(owner, alarm)).Properties;

const environmentOf = (tmpl: Template, functionId: string): Record<string, unknown> =>
  (resource(tmpl, functionId).Properties.Environment as { Variables: Record<string, unknown> }).Variables;

/** The template of a plain stack holding the construct (and, optionally, an alarm topic). */
const withTopic = (props: WebhookFanoutProps = {}) => {
  const own = new Stack(createTestApp(), 'Test');
  const topic = new sns.Topic(own, 'Alarms');
  const construct = buildConstruct({ ...props, alarmTopic: topic }, own);
  return { own, construct, template: Template.fromStack(own), topicId: logicalId(own, topic) };
};

describe('Construct: WebhookFanout (observability)', () => {
  describe('Alarms', () => {
    it('alarms on any message in either dead-letter queue, within one minute', () => {
      for (const [alarm, queue] of [
        [fanout.fanoutDeadLetterQueueAlarm, fanout.fanoutDeadLetterQueue],
        [fanout.deliveryDeadLetterQueueAlarm, fanout.deliveryDeadLetterQueue],
      ] as const) {
        expect(alarmProperties(template, alarm)).toMatchObject({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, queue), 'QueueName'] } }],
          Statistic: 'Maximum',
          Period: 60,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: 1,
          DatapointsToAlarm: 1,
        });
      }
    });

    it('alarms when the p99 delivery lag stays above 5 minutes for 3 of 3 five-minute periods', () => {
      expect(alarmProperties(template, fanout.deliveryLagAlarm)).toMatchObject({
        Namespace: 'WebhookFanout',
        MetricName: METRIC_NAMES.deliveryLag,
        Dimensions: [{ Name: 'service', Value: 'webhook-fanout' }],
        ExtendedStatistic: 'p99',
        Period: 300,
        Threshold: 300,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
      });
    });

    it('takes the delivery lag threshold from deliveryLagAlarmThreshold', () => {
      const custom = synthStack({ deliveryLagAlarmThreshold: Duration.minutes(10) });

      expect(alarmProperties(custom.template, custom.fanout.deliveryLagAlarm, custom.stack)).toMatchObject({ Threshold: 600 });
    });

    it('alarms on errors of each function, 1 or more in 2 of 3 five-minute periods', () => {
      for (const [alarm, functionId] of [
        [fanout.ingestErrorsAlarm, functions.ingest],
        [fanout.apiErrorsAlarm, functions.api],
        [fanout.fanoutErrorsAlarm, functions.fanout],
        [fanout.deliveryErrorsAlarm, functions.delivery],
      ] as const) {
        expect(alarmProperties(template, alarm)).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
          Statistic: 'Sum',
          Period: 300,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: 3,
          DatapointsToAlarm: 2,
        });
      }
    });

    it('takes the errors and throttles thresholds from their props', () => {
      const custom = synthStack({ functionErrorsAlarmThreshold: 5, functionThrottlesAlarmThreshold: 20 });

      expect(alarmProperties(custom.template, custom.fanout.fanoutErrorsAlarm, custom.stack)).toMatchObject({ Threshold: 5 });
      expect(alarmProperties(custom.template, custom.fanout.functionThrottlesAlarm, custom.stack)).toMatchObject({ Threshold: 20 });
    });

    it('alarms on throttles of all four functions together, 1 or more in 2 of 3 five-minute periods', () => {
      const properties = alarmProperties(template, fanout.functionThrottlesAlarm);
      const metrics = properties.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string }; Period: number; Stat: string } }>;

      expect(properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
      });
      expect(metrics.find((metric) => metric.Expression)?.Expression).toBe('ingest + api + fanout + delivery');
      const inputs = metrics.filter((metric) => metric.MetricStat);
      expect(inputs).toHaveLength(4);
      for (const input of inputs) expect(input.MetricStat).toMatchObject({ Metric: { MetricName: 'Throttles' }, Period: 300, Stat: 'Sum' });
    });

    it('alarms on more than 1% of API requests answered 5xx, counting only periods of 100 requests or more', () => {
      const properties = alarmProperties(template, fanout.apiServerErrorRateAlarm);
      const metrics = properties.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string }; Stat: string } }>;

      expect(properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
      });
      expect(metrics.find((metric) => metric.Expression)?.Expression).toBe('IF(requests >= 100, 100 * errors / requests, 0)');
      expect(metrics.find((metric) => metric.Id === 'requests')?.MetricStat).toMatchObject({ Metric: { MetricName: 'Count' }, Stat: 'Sum' });
      expect(metrics.find((metric) => metric.Id === 'errors')?.MetricStat).toMatchObject({ Metric: { MetricName: '5xx' }, Stat: 'Sum' });
    });

    it('takes the API 5xx rate and minimum requests from their props', () => {
      const custom = synthStack({ apiServerErrorRateAlarmThreshold: 2.5, apiServerErrorAlarmMinimumRequests: 500 });
      const properties = alarmProperties(custom.template, custom.fanout.apiServerErrorRateAlarm, custom.stack);
      const expression = (properties.Metrics as Array<{ Expression?: string }>).find((metric) => metric.Expression)?.Expression;

      expect(properties.Threshold).toBe(2.5);
      expect(expression).toBe('IF(requests >= 500, 100 * errors / requests, 0)');
    });

    it('creates nine alarms, listed in `alarms`, none of them breaching on missing data', () => {
      const alarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'));

      expect(alarms).toHaveLength(9);
      expect(fanout.alarms).toHaveLength(9);
      for (const alarm of alarms) expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
    });

    it('notifies the alarm topic when an alarm fires and when it recovers', () => {
      const { template: withAlarmTopic, topicId } = withTopic();
      const alarms = Object.values(resourcesOfType(withAlarmTopic, 'AWS::CloudWatch::Alarm'));

      expect(alarms).toHaveLength(9);
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
        expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId }]);
      }
    });

    it('has no alarm actions without an alarm topic', () => {
      for (const alarm of Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'))) {
        expect(alarm.Properties.AlarmActions).toBeUndefined();
        expect(alarm.Properties.OKActions).toBeUndefined();
      }
    });
  });

  describe('Dashboard', () => {
    const body = JSON.stringify(Object.values(resourcesOfType(template, 'AWS::CloudWatch::Dashboard'))[0]);

    it('has a row per stage, each with its widgets', () => {
      for (const title of [
        '### API',
        'API: requests, 4xx, 5xx',
        'API: latency (ms)',
        'API: 5xx rate (%)',
        '### Ingest and fan-out',
        'Ingest: events accepted',
        'Fan-out: deliveries per fan-out message',
        '### Delivery',
        'Delivery: success rate (%)',
        'Delivery: attempts by outcome',
        'Delivery: attempt latency (ms)',
        'Delivery: end-to-end latency (ms)',
        'Delivery: lag p99 (s)',
        'Delivery: exhausted, disabled, rate-limited',
        'Endpoints: circuits opened and closed',
        'Endpoints: deliveries waiting without an attempt',
        '### Queues',
        'Queues: depth',
        'Queues: age of oldest message (s)',
        'Queues: dead-letter depth',
        '### Lambda',
        'Lambda: errors',
        'Lambda: throttles',
        'Lambda: concurrency',
        'Lambda: duration p99 (ms)',
      ]) {
        expect(body).toContain(`${title}\\"`);
      }
    });

    it('opens with the status of every alarm', () => {
      expect(body).toContain('\\"type\\":\\"alarm\\"');
      for (const alarm of fanout.alarms) expect(body).toContain(`"Fn::GetAtt":["${logicalId(stack, alarm)}","Arn"]`);
    });

    it('graphs the delivery percentiles and failures by reason', () => {
      for (const statistic of ['p50', 'p90', 'p99']) expect(body).toContain(`\\"stat\\":\\"${statistic}\\"`);
      expect(body).toContain(`MetricName=\\\\\\"${METRIC_NAMES.deliveryFailed}\\\\\\"`);
      expect(body).toContain('100 * succeeded / attempts');
    });
  });

  describe('Metrics', () => {
    it('gives every function the metrics namespace and service name', () => {
      for (const id of Object.values(functions)) {
        expect(environmentOf(template, id)).toMatchObject({
          [POWERTOOLS_ENV.metricsNamespace]: 'WebhookFanout',
          [POWERTOOLS_ENV.serviceName]: 'webhook-fanout',
        });
      }
    });

    it('takes the namespace from metricsNamespace, for the functions, the metrics and the alarms', () => {
      const custom = synthStack({ metricsNamespace: 'Acme/Webhooks' });

      for (const id of Object.values(functions)) {
        expect(environmentOf(custom.template, id)[POWERTOOLS_ENV.metricsNamespace]).toBe('Acme/Webhooks');
      }
      expect(custom.fanout.metricDeliveryAttempts().namespace).toBe('Acme/Webhooks');
      expect(alarmProperties(custom.template, custom.fanout.deliveryLagAlarm, custom.stack).Namespace).toBe('Acme/Webhooks');
    });

    it('needs no IAM permission for metrics: they are log lines (embedded metric format)', () => {
      for (const fn of [fanout.ingestFunction, fanout.apiFunction, fanout.fanoutFunction, fanout.deliveryFunction]) {
        const actions = statementsOfRole(template, logicalId(stack, fn.role!)).flatMap(actionsOf);

        expect(actions).toContain('logs:PutLogEvents');
        expect(actions.filter((action) => action.startsWith('cloudwatch:'))).toEqual([]);
      }
    });

    it('exposes each custom metric with the service dimension only, and the statistic that suits it', () => {
      const expected: Array<[ReturnType<typeof fanout.metricDeliveryLag>, string, string]> = [
        [fanout.metricEventsAccepted(), METRIC_NAMES.eventsAccepted, 'Sum'],
        [fanout.metricFanoutDeliveries(), METRIC_NAMES.fanoutDeliveries, 'Sum'],
        [fanout.metricDeliveryAttempts(), METRIC_NAMES.deliveryAttempts, 'Sum'],
        [fanout.metricDeliverySucceeded(), METRIC_NAMES.deliverySucceeded, 'Sum'],
        [fanout.metricDeliveriesExhausted(), METRIC_NAMES.deliveriesExhausted, 'Sum'],
        [fanout.metricDeliveryLatency(), METRIC_NAMES.deliveryLatency, 'p99'],
        [fanout.metricEndToEndLatency(), METRIC_NAMES.endToEndLatency, 'p99'],
        [fanout.metricDeliveryLag(), METRIC_NAMES.deliveryLag, 'p99'],
        [fanout.metricSubscriptionsDisabled(), METRIC_NAMES.subscriptionsDisabled, 'Sum'],
        [fanout.metricRateLimitDeferrals(), METRIC_NAMES.rateLimitDeferrals, 'Sum'],
        [fanout.metricCircuitsOpened(), METRIC_NAMES.circuitsOpened, 'Sum'],
        [fanout.metricCircuitsClosed(), METRIC_NAMES.circuitsClosed, 'Sum'],
      ];
      for (const [metric, name, statistic] of expected) {
        expect({ namespace: metric.namespace, name: metric.metricName, dimensions: metric.dimensions, statistic: metric.statistic }).toEqual({
          namespace: 'WebhookFanout',
          name,
          dimensions: { service: 'webhook-fanout' },
          statistic,
        });
      }
      expect(fanout.metricDeliveryFailed('timeout').dimensions).toEqual({ service: 'webhook-fanout', reason: 'timeout' });
      expect(fanout.metricDeliveriesDeferred('circuit_open').dimensions).toEqual({ service: 'webhook-fanout', reason: 'circuit_open' });
    });

    it('derives success rate, failures and the API 5xx rate as math expressions', () => {
      expect(fanout.metricDeliverySuccessRate().toMetricConfig().mathExpression?.expression).toBe('100 * succeeded / attempts');
      expect(fanout.metricDeliveryFailures().toMetricConfig().mathExpression?.expression).toBe('attempts - succeeded');
      expect(fanout.metricApiServerErrorRate({ minimumRequests: 10 }).toMetricConfig().mathExpression?.expression).toBe(
        'IF(requests >= 10, 100 * errors / requests, 0)',
      );
      expect(fanout.metricFunctionThrottles().toMetricConfig().mathExpression?.expression).toBe('ingest + api + fanout + delivery');
    });

    it('exposes the queue and API metrics operators watch', () => {
      expect(fanout.metricFanoutQueueDepth().metricName).toBe('ApproximateNumberOfMessagesVisible');
      expect(fanout.metricDeliveryQueueAgeOfOldestMessage().metricName).toBe('ApproximateAgeOfOldestMessage');
      expect(fanout.metricApiRequests().statistic).toBe('Sum');
      expect(fanout.metricApiLatency().statistic).toBe('p99');
      expect(fanout.metricApiClientErrors().metricName).toBe('4xx');
    });
  });

  describe('Logs', () => {
    it('keeps Lambda and Powertools at the same level, INFO by default', () => {
      template.allResourcesProperties('AWS::Lambda::Function', {
        LoggingConfig: Match.objectLike({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' }),
      });
      for (const id of Object.values(functions)) expect(environmentOf(template, id)[POWERTOOLS_ENV.logLevel]).toBe('INFO');
    });

    it('runs at DEBUG when logLevel asks for it', () => {
      const custom = synthStack({ logLevel: 'DEBUG' });

      custom.template.allResourcesProperties('AWS::Lambda::Function', {
        LoggingConfig: Match.objectLike({ ApplicationLogLevel: 'DEBUG' }),
      });
      expect(environmentOf(custom.template, functions.delivery)[POWERTOOLS_ENV.logLevel]).toBe('DEBUG');
    });

    it("drops Lambda's platform start and report records by default: system log level WARN", () => {
      template.allResourcesProperties('AWS::Lambda::Function', {
        LoggingConfig: Match.objectLike({ LogFormat: 'JSON', SystemLogLevel: 'WARN' }),
      });
    });

    it('writes the platform records at the level systemLogLevel names, the application level unchanged', () => {
      const custom = synthStack({ systemLogLevel: 'INFO' });

      custom.template.allResourcesProperties('AWS::Lambda::Function', {
        LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'INFO', LogGroup: Match.anyValue() },
      });
    });

    it('writes one access log line per request: request id, source IP, time, method and path, status, latency, integration error', () => {
      const stage = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Stage'))[0]!;
      const { Format } = stage.Properties.AccessLogSettings as { Format: string };

      expect(JSON.parse(Format)).toEqual({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        time: '$context.requestTimeEpoch',
        route: '$context.httpMethod $context.path',
        status: '$context.status',
        latency: '$context.responseLatency',
        integrationError: '$context.integrationErrorMessage',
      });
    });

    it('logs one successful attempt in a hundred at INFO by default, the share successLogSampleRate says otherwise', () => {
      const custom = synthStack({ successLogSampleRate: 1 });

      expect(environmentOf(template, functions.delivery)[ENV.successLogSampleRate]).toBe('0.01');
      expect(environmentOf(custom.template, functions.delivery)[ENV.successLogSampleRate]).toBe('1');
    });
  });

  describe('Validation', () => {
    it.each<[string, WebhookFanoutProps, RegExp]>([
      ['a namespace reserved for AWS', { metricsNamespace: 'AWS/Lambda' }, /metricsNamespace is 'AWS\/Lambda'/],
      ['a namespace with a quote', { metricsNamespace: 'a"b' }, /metricsNamespace is 'a"b'/],
      ['a log level that would drop the metric lines', { logLevel: 'WARN' as WebhookFanoutLogLevel }, /logLevel is 'WARN'/],
      ['a sample rate above 1', { successLogSampleRate: 2 }, /successLogSampleRate is 2/],
      ['a system log level Lambda does not have', { systemLogLevel: 'ERROR' as WebhookFanoutSystemLogLevel }, /systemLogLevel is 'ERROR'/],
      ['a lag threshold in fractions of a second', { deliveryLagAlarmThreshold: Duration.millis(1500) }, /deliveryLagAlarmThreshold is 1 second 500 millis; it must be a whole number of seconds/],
      ['a 5xx rate of 100%', { apiServerErrorRateAlarmThreshold: 100 }, /apiServerErrorRateAlarmThreshold is 100/],
      ['a minimum of no requests', { apiServerErrorAlarmMinimumRequests: 0 }, /apiServerErrorAlarmMinimumRequests is 0/],
      ['an errors threshold of 0', { functionErrorsAlarmThreshold: 0 }, /functionErrorsAlarmThreshold is 0/],
    ])('refuses %s at synth', (_, props, message) => {
      expect(() => buildConstruct(props)).toThrow(WebhookFanoutPropsError);
      expect(() => buildConstruct(props)).toThrow(message);
    });
  });
});
