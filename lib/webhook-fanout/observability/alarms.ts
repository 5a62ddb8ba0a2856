import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { WebhookFanout } from '../../webhook-fanout';
import type { ResolvedConfig } from '../config';

/** Period of the alarms that look at trends; the dead-letter alarms look at single minutes. */
const ALARM_PERIOD = Duration.minutes(5);

/** The construct's alarms; each description names its runbook in docs/operations.md. */
export interface Alarms {
  readonly fanoutDeadLetterQueueAlarm: cloudwatch.Alarm;
  readonly deliveryDeadLetterQueueAlarm: cloudwatch.Alarm;
  readonly deliveryLagAlarm: cloudwatch.Alarm;
  readonly ingestErrorsAlarm: cloudwatch.Alarm;
  readonly apiErrorsAlarm: cloudwatch.Alarm;
  readonly fanoutErrorsAlarm: cloudwatch.Alarm;
  readonly deliveryErrorsAlarm: cloudwatch.Alarm;
  readonly functionThrottlesAlarm: cloudwatch.Alarm;
  readonly apiServerErrorRateAlarm: cloudwatch.Alarm;
  /** Every alarm above, in the order the dashboard shows them. */
  readonly all: cloudwatch.Alarm[];
}

/** The alarms on the construct's queues, functions, API and metrics, made in the construct's scope. */
export function createAlarms(fanout: WebhookFanout, config: ResolvedConfig): Alarms {
  const fanoutDeadLetterQueueAlarm = deadLetterQueueAlarm(fanout, 'FanoutDeadLetterQueueAlarm', fanout.fanoutDeadLetterQueue, 'fan-out');
  const deliveryDeadLetterQueueAlarm = deadLetterQueueAlarm(fanout, 'DeliveryDeadLetterQueueAlarm', fanout.deliveryDeadLetterQueue, 'delivery');
  const deliveryLagAlarm = fanout.metricDeliveryLag({ period: ALARM_PERIOD }).createAlarm(fanout, 'DeliveryLagAlarm', {
    alarmDescription:
      `Delivery attempts start more than ${config.deliveryLagAlarmSeconds} s after they were due (p99, 15 minutes). ` +
      'Runbook: docs/operations.md, "Delivery lag".',
    threshold: config.deliveryLagAlarmSeconds,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const errorsAlarm = (id: string, fn: lambda.Function, role: string) =>
    functionErrorsAlarm(fanout, id, fn, role, config.functionErrorsThreshold);
  const ingestErrorsAlarm = errorsAlarm('IngestErrorsAlarm', fanout.ingestFunction, 'ingest');
  const apiErrorsAlarm = errorsAlarm('ApiErrorsAlarm', fanout.apiFunction, 'api');
  const fanoutErrorsAlarm = errorsAlarm('FanoutErrorsAlarm', fanout.fanoutFunction, 'fan-out');
  const deliveryErrorsAlarm = errorsAlarm('DeliveryErrorsAlarm', fanout.deliveryFunction, 'delivery');
  const functionThrottlesAlarm = new cloudwatch.Alarm(fanout, 'FunctionThrottlesAlarm', {
    metric: fanout.metricFunctionThrottles({ period: ALARM_PERIOD }),
    alarmDescription: 'Lambda throttled invocations of the webhook fan-out functions. Runbook: docs/operations.md, "Function throttles".',
    threshold: config.functionThrottlesThreshold,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const apiServerErrorRateAlarm = new cloudwatch.Alarm(fanout, 'ApiServerErrorRateAlarm', {
    metric: fanout.metricApiServerErrorRate({ period: ALARM_PERIOD, minimumRequests: config.apiMinimumRequests }),
    alarmDescription:
      `More than ${config.apiServerErrorRatePercent}% of API requests got a 5xx, in periods of at least ` +
      `${config.apiMinimumRequests} requests, for 15 minutes. Runbook: docs/operations.md, "API 5xx rate".`,
    threshold: config.apiServerErrorRatePercent,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return {
    fanoutDeadLetterQueueAlarm,
    deliveryDeadLetterQueueAlarm,
    deliveryLagAlarm,
    ingestErrorsAlarm,
    apiErrorsAlarm,
    fanoutErrorsAlarm,
    deliveryErrorsAlarm,
    functionThrottlesAlarm,
    apiServerErrorRateAlarm,
    all: [
      fanoutDeadLetterQueueAlarm,
      deliveryDeadLetterQueueAlarm,
      deliveryLagAlarm,
      apiServerErrorRateAlarm,
      ingestErrorsAlarm,
      apiErrorsAlarm,
      fanoutErrorsAlarm,
      deliveryErrorsAlarm,
      functionThrottlesAlarm,
    ],
  };
}

function deadLetterQueueAlarm(fanout: WebhookFanout, id: string, queue: sqs.Queue, stage: string): cloudwatch.Alarm {
  return queue
    .metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1) })
    .createAlarm(fanout, id, {
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

function functionErrorsAlarm(
  fanout: WebhookFanout,
  id: string,
  fn: lambda.Function,
  role: string,
  threshold: number,
): cloudwatch.Alarm {
  return fn.metricErrors({ statistic: 'Sum', period: ALARM_PERIOD }).createAlarm(fanout, id, {
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
