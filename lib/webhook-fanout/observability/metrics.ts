import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { DEFAULTS, METRIC_DIMENSIONS, type MetricName } from '../../../lambdas/core/telemetry-names';
import type { Functions } from '../functions';

/*
 * What the construct's public metric methods (`WebhookFanout.metric...`) are made of.
 */

/** A metric the functions publish (Powertools), under the service's dimension and any others given. */
export function customMetric(
  namespace: string,
  metricName: MetricName,
  statistic: string,
  props?: cloudwatch.MetricOptions,
  dimensions: Record<string, string> = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace,
    metricName,
    statistic,
    ...props,
    dimensionsMap: { [METRIC_DIMENSIONS.service]: DEFAULTS.serviceName, ...dimensions, ...props?.dimensionsMap },
  });
}

/** One Lambda metric of the four functions, added up. */
export function sumOverFunctions(
  functions: Functions,
  label: string,
  metric: (fn: lambda.Function) => cloudwatch.Metric,
  props?: cloudwatch.MetricOptions,
): cloudwatch.IMetric {
  return new cloudwatch.MathExpression({
    expression: 'ingest + api + fanout + delivery',
    label,
    period: props?.period,
    usingMetrics: {
      ingest: metric(functions.ingestFunction),
      api: metric(functions.apiFunction),
      fanout: metric(functions.fanoutFunction),
      delivery: metric(functions.deliveryFunction),
    },
  });
}
