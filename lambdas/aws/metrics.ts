import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DEFAULTS, METRIC_DIMENSIONS, METRIC_NAMES, POWERTOOLS_ENV, type MetricName } from '../core/telemetry-names';
import { idTime } from '../core/ids';
import type { DeliveryMessage } from '../core/messages';
import type { AttemptLog } from '../core/model';
import { serviceName } from './logger';

/**
 * Powertools logs this when an invocation counted nothing. Here that is routine (a 401, a duplicate
 * message) and would cost a log line per such invocation, so it is dropped.
 */
const NOTHING_TO_PUBLISH = 'No application metrics to publish';

/**
 * One Metrics per function, flushed once per invocation by the `logMetrics` middleware as one
 * embedded-metric-format line on stdout, which CloudWatch Logs turns into metrics (no API call, no
 * IAM permission). Namespace and the `service` dimension come from the environment the construct
 * sets. Powertools' own warnings go to the function's logger as structured lines.
 */
export const createMetrics = (logger: Logger): Metrics =>
  new Metrics({
    namespace: process.env[POWERTOOLS_ENV.metricsNamespace] || DEFAULTS.metricsNamespace,
    serviceName: serviceName(),
    logger: {
      debug: (message: string) => logger.debug(message),
      info: (message: string) => logger.info(message),
      warn: (message: string) => {
        if (!String(message).startsWith(NOTHING_TO_PUBLISH)) logger.warn(message);
      },
      error: (message: string) => logger.error(message),
    },
  });

export interface Measurement {
  name: MetricName;
  unit: typeof MetricUnit.Count | typeof MetricUnit.Milliseconds | typeof MetricUnit.Seconds;
  value: number;
  /** The `reason` dimension: DeliveryFailed (one of the few failure reasons) and DeliveriesDeferred only. */
  reason?: string;
}

/** What one delivery message came to, as the metrics see it. */
export interface DeliveryObservation {
  message: Pick<DeliveryMessage, 'eventId' | 'run' | 'createdAt'>;
  decision: { action: string; status?: string; attempt?: AttemptLog; deferred?: string; circuit?: string };
  /** When the attempt was due by the delivery record it was based on; absent for a run's first attempt. */
  dueAt?: string;
  /** The subscription has a rate limit: its waits are by design, so they are not counted as lag. */
  rateLimited: boolean;
  /** This attempt disabled the subscription. */
  disabledSubscription: boolean;
}

const count = (name: MetricName, reason?: string): Measurement => ({
  name,
  unit: MetricUnit.Count,
  value: 1,
  ...(reason === undefined ? {} : { reason }),
});

/**
 * When a run began: the event's acceptance for the first run, the replay or recovery request
 * otherwise (run ids are ULIDs, so they carry their creation time).
 */
const runStartedAt = (message: DeliveryObservation['message']): number | undefined => {
  if (message.run === message.eventId) return Date.parse(message.createdAt);
  return idTime(message.run);
};

/** The measurements of one delivery message: pure, so the handler only adds them up. */
export const deliveryMeasurements = (observation: DeliveryObservation): Measurement[] => {
  const { message, decision } = observation;
  const measurements: Measurement[] = [];
  const attempt = decision.attempt;
  if (attempt !== undefined) {
    const startedAt = Date.parse(attempt.at);
    measurements.push(count(METRIC_NAMES.deliveryAttempts), {
      name: METRIC_NAMES.deliveryLatency,
      unit: MetricUnit.Milliseconds,
      value: attempt.durationMs,
    });
    if (attempt.outcome === 'delivered') {
      measurements.push(count(METRIC_NAMES.deliverySucceeded));
      // A replay re-sends an old event: its age says nothing about the pipeline.
      const endToEnd = startedAt + attempt.durationMs - Date.parse(message.createdAt);
      if (message.run === message.eventId && endToEnd >= 0) {
        measurements.push({ name: METRIC_NAMES.endToEndLatency, unit: MetricUnit.Milliseconds, value: endToEnd });
      }
    } else {
      measurements.push(count(METRIC_NAMES.deliveryFailed, attempt.reason ?? 'unknown'));
    }
    const dueAt = attempt.attempt === 1 ? runStartedAt(message) : observation.dueAt && Date.parse(observation.dueAt);
    if (!observation.rateLimited && typeof dueAt === 'number' && Number.isFinite(dueAt)) {
      // An attempt may start up to a second early; that is no lag.
      // Whole milliseconds: a float like 0.036000000000000004 costs its digits in every metric line.
      const lagSeconds = Math.round(Math.max(0, startedAt - dueAt)) / 1000;
      measurements.push({ name: METRIC_NAMES.deliveryLag, unit: MetricUnit.Seconds, value: lagSeconds });
    }
  }
  if (decision.action === 'done' && decision.status === 'exhausted') measurements.push(count(METRIC_NAMES.deliveriesExhausted));
  if (decision.deferred === 'rate_limited') measurements.push(count(METRIC_NAMES.rateLimitDeferrals));
  else if (decision.deferred !== undefined) measurements.push(count(METRIC_NAMES.deliveriesDeferred, decision.deferred));
  if (decision.circuit === 'opened') measurements.push(count(METRIC_NAMES.circuitsOpened));
  if (decision.circuit === 'closed') measurements.push(count(METRIC_NAMES.circuitsClosed));
  if (observation.disabledSubscription) measurements.push(count(METRIC_NAMES.subscriptionsDisabled));
  return measurements;
};

/**
 * The measurements of one invocation. Counts are summed into one value per metric (a smaller
 * log line than a 1 per message), timings keep one value each (CloudWatch needs them for
 * percentiles), and failures are counted per reason: they carry the `reason` dimension, so each
 * reason becomes a line of its own, at most one per reason per invocation.
 */
export class InvocationMetrics {
  readonly #counts = new Map<string, Measurement>();
  #values: Measurement[] = [];

  add(measurements: readonly Measurement[]): void {
    for (const measurement of measurements) {
      if (measurement.unit !== MetricUnit.Count) {
        this.#values.push(measurement);
        continue;
      }
      const key = `${measurement.name}\u0000${measurement.reason ?? ''}`;
      const counted = this.#counts.get(key);
      if (counted === undefined) this.#counts.set(key, { ...measurement });
      else counted.value += measurement.value;
    }
  }

  /** Hands everything to `metrics` (flushed by its middleware) and starts again. */
  publishTo(metrics: Metrics): void {
    for (const { name, unit, value } of this.#values) metrics.addMetric(name, unit, value);
    for (const { name, unit, value, reason } of this.#counts.values()) {
      if (reason === undefined) metrics.addMetric(name, unit, value);
      else metrics.singleMetric().addDimension(METRIC_DIMENSIONS.reason, reason).addMetric(name, unit, value);
    }
    this.#values = [];
    this.#counts.clear();
  }
}

export const deliveryObservation = (
  message: DeliveryObservation['message'],
  decision: DeliveryObservation['decision'] & { dueAt?: string; rateLimited?: true; disabledSubscription?: true },
): DeliveryObservation => ({
  message,
  decision,
  rateLimited: decision.rateLimited === true,
  disabledSubscription: decision.disabledSubscription === true,
  ...(decision.dueAt === undefined ? {} : { dueAt: decision.dueAt }),
});
