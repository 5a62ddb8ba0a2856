import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { DEFAULTS, METRIC_DIMENSIONS, METRIC_NAMES } from '../../../lambdas/core/telemetry-names';
import type { WebhookFanout } from '../../webhook-fanout';
import type { ResolvedConfig } from '../config';

/**
 * A row per stage (API, ingest and fan-out, delivery, queues, functions) under the alarms' status,
 * from the construct's public metrics; made in the construct's scope.
 */
export function createDashboard(
  fanout: WebhookFanout,
  config: Pick<ResolvedConfig, 'metricsNamespace' | 'deliveryLagAlarmSeconds' | 'apiServerErrorRatePercent'>,
): cloudwatch.Dashboard {
  const { deliveryLagAlarmSeconds, apiServerErrorRatePercent } = config;
  const functions = {
    ingest: fanout.ingestFunction,
    api: fanout.apiFunction,
    fanout: fanout.fanoutFunction,
    delivery: fanout.deliveryFunction,
  };
  const queues = { fanout: fanout.fanoutQueue, delivery: fanout.deliveryQueue };
  const deadLetterQueues = { fanout: fanout.fanoutDeadLetterQueue, delivery: fanout.deliveryDeadLetterQueue };
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
      `SEARCH('{"${config.metricsNamespace}",${METRIC_DIMENSIONS.service},${METRIC_DIMENSIONS.reason}} ` +
      `MetricName="${METRIC_NAMES.deliveryFailed}" ${METRIC_DIMENSIONS.service}="${DEFAULTS.serviceName}"', 'Sum', 300)`,
    // A dynamic label: each series is named by its reason.
    label: "failed ${PROP('Dim.reason')}",
    usingMetrics: {},
  });

  const dashboard = new cloudwatch.Dashboard(fanout, 'Dashboard');
  dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: fanout.alarms, width: 24, height: 3 }));

  dashboard.addWidgets(header('### API'));
  dashboard.addWidgets(
    graph(8, {
      title: 'API: requests, 4xx, 5xx',
      left: [
        fanout.metricApiRequests({ label: 'requests' }),
        fanout.metricApiClientErrors({ label: '4xx' }),
        fanout.metricApiServerErrors({ label: '5xx' }),
      ],
    }),
    graph(8, {
      title: 'API: latency (ms)',
      left: [
        fanout.metricApiLatency({ statistic: 'p50', label: 'p50' }),
        fanout.metricApiLatency({ statistic: 'p99', label: 'p99' }),
        fanout.httpApi.metricIntegrationLatency({ statistic: 'p99', label: 'integration p99' }),
      ],
    }),
    graph(8, {
      title: 'API: 5xx rate (%)',
      left: [fanout.metricApiServerErrorRate()],
      leftAnnotations: [{ value: apiServerErrorRatePercent, label: 'alarm' }],
    }),
  );

  dashboard.addWidgets(header('### Ingest and fan-out'));
  dashboard.addWidgets(
    graph(12, { title: 'Ingest: events accepted', left: [fanout.metricEventsAccepted({ label: 'events' })] }),
    graph(12, {
      title: 'Fan-out: deliveries per fan-out message',
      left: [fanout.metricFanoutDeliveries({ label: 'sent' })],
      right: [
        fanout.metricFanoutDeliveries({ statistic: 'Average', label: 'average' }),
        fanout.metricFanoutDeliveries({ statistic: 'Maximum', label: 'maximum' }),
      ],
    }),
  );

  dashboard.addWidgets(header('### Delivery'));
  dashboard.addWidgets(
    graph(6, {
      title: 'Delivery: success rate (%)',
      left: [fanout.metricDeliverySuccessRate()],
      leftYAxis: { min: 0, max: 100 },
    }),
    graph(6, {
      title: 'Delivery: attempts by outcome',
      stacked: true,
      left: [fanout.metricDeliverySucceeded({ label: 'succeeded' }), failuresByReason],
    }),
    graph(6, {
      title: 'Delivery: attempt latency (ms)',
      left: ['p50', 'p90', 'p99'].map((statistic) => fanout.metricDeliveryLatency({ statistic, label: statistic })),
    }),
    graph(6, {
      title: 'Delivery: end-to-end latency (ms)',
      left: ['p50', 'p99'].map((statistic) => fanout.metricEndToEndLatency({ statistic, label: statistic })),
    }),
  );
  dashboard.addWidgets(
    graph(12, {
      title: 'Delivery: lag p99 (s)',
      left: [fanout.metricDeliveryLag({ label: 'p99' })],
      leftAnnotations: [{ value: deliveryLagAlarmSeconds, label: 'alarm' }],
    }),
    graph(12, {
      title: 'Delivery: exhausted, disabled, rate-limited',
      left: [
        fanout.metricDeliveriesExhausted({ label: 'exhausted' }),
        fanout.metricSubscriptionsDisabled({ label: 'subscriptions disabled' }),
      ],
      right: [fanout.metricRateLimitDeferrals({ label: 'rate-limit deferrals' })],
    }),
  );
  dashboard.addWidgets(
    graph(12, {
      title: 'Endpoints: circuits opened and closed',
      left: [fanout.metricCircuitsOpened({ label: 'opened' }), fanout.metricCircuitsClosed({ label: 'closed' })],
    }),
    graph(12, {
      title: 'Endpoints: deliveries waiting without an attempt',
      left: [
        fanout.metricDeliveriesDeferred('circuit_open', { label: 'circuit open' }),
        fanout.metricDeliveriesDeferred('pool_wait', { label: 'no free connection' }),
        fanout.metricDeliveriesDeferred('aborted', { label: 'invocation ending' }),
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

function prefixKeys<T>(prefix: string, record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [`${prefix}${key}`, value]));
}
