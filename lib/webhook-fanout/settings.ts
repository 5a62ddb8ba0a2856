import { Duration } from 'aws-cdk-lib';
import { JITTER } from '../../lambdas/core/retry-policy';
import {
  SETTING_NAMES,
  SETTINGS,
  constructRange,
  formatSetting,
  settingDefault,
  settingProblem,
  type SettingName,
  type SettingValues,
} from '../../lambdas/core/settings';
import { DELIVERY_FUNCTION_MARGIN_SECONDS, MAX_LAMBDA_TIMEOUT_SECONDS } from './functions';
import { WebhookFanoutPropsError, type WebhookFanoutProps } from './props';
import { DELIVERY_MAX_RECEIVE_COUNT, QUEUE_RETENTION } from './queues';

/*
 * The props that are settings of the functions (lambdas/core/settings.ts), converted to the
 * settings' units and checked against their ranges there, so that every value accepted here loads
 * in every function. The construct only narrows those ranges where the resources it builds need
 * it: the delivery timeout within Lambda's, the retry schedule within the delivery queue's receive
 * count and retention, the records kept longer than the retries.
 */

/** Half the receive budget for attempts leaves the other half for deferrals and crash redeliveries. */
export const MAX_RETRIES = DELIVERY_MAX_RECEIVE_COUNT / 2;
/** The delivery timeout leaves the delivery function a margin within Lambda's 15 minutes. */
export const MAX_DELIVERY_TIMEOUT_SECONDS = MAX_LAMBDA_TIMEOUT_SECONDS - DELIVERY_FUNCTION_MARGIN_SECONDS;

/** Every setting's value, from its prop or its default, checked. */
export function settingsFromProps(props: WebhookFanoutProps): SettingValues {
  const values = Object.fromEntries(SETTING_NAMES.map((name) => [name, settingFromProp(name, props)])) as SettingValues;
  checkDeliveryTimeout(props, values.timeoutMs);
  requireWithin('slowAttemptThreshold (milliseconds)', values.slowAttemptMs, values.timeoutMs);
  const retrySpanSeconds = retrySpan(values.retrySchedule);
  checkOutlivesRetries('eventRetention', props.eventRetention, values.eventRetentionDays, retrySpanSeconds);
  checkOutlivesRetries('deliveryLogRetention', props.deliveryLogRetention, values.deliveryLogRetentionDays, retrySpanSeconds);
  return values;
}

/** The environment variables of the settings, for every function. */
export function settingsEnvironment(values: SettingValues, props: WebhookFanoutProps): Record<string, string> {
  const written = SETTING_NAMES.filter((name) => !isOnlyWhenSet(name) || propOf(name, props) !== undefined);
  return Object.fromEntries(written.map((name) => [SETTINGS[name].env, formatSetting(name, values[name])]));
}

const isOnlyWhenSet = (name: SettingName): boolean => 'onlyWhenSet' in SETTINGS[name];

const propOf = (name: SettingName, props: WebhookFanoutProps): unknown => (props as Record<string, unknown>)[SETTINGS[name].prop];

function settingFromProp(name: SettingName, props: WebhookFanoutProps): SettingValues[SettingName] {
  const given = propOf(name, props);
  if (given === undefined) return settingDefault(name);
  const { prop, unit } = SETTINGS[name];
  if (name === 'retrySchedule') return retryScheduleSeconds(given as Duration[]);
  if (name === 'allowedPrivateNetworks') return (given as string[]).map((cidr) => cidr.trim()).join(',');
  const value = given instanceof Duration ? inUnit(prop, unit, given) : given;
  const problem = settingProblem(name, value, constructRange(name)?.min);
  if (problem !== undefined) {
    const label = given instanceof Duration ? `${prop} (${unit})` : prop;
    throw new WebhookFanoutPropsError(`${label} is ${String(value)}; ${problem}`);
  }
  return value as SettingValues[SettingName];
}

function inUnit(prop: string, unit: string, duration: Duration): number {
  switch (unit) {
    case 'milliseconds':
      return duration.toMilliseconds();
    case 'seconds':
      return wholeSeconds(prop, duration);
    case 'days': {
      const days = wholeSeconds(prop, duration) / 86_400;
      if (!Number.isInteger(days)) {
        throw new WebhookFanoutPropsError(`${prop} is ${duration.toHumanString()}; it must be whole days`);
      }
      return days;
    }
    default:
      throw new WebhookFanoutPropsError(`${prop} is a Duration; it must be a number of ${unit}`);
  }
}

export function wholeSeconds(name: string, duration: Duration): number {
  const millis = duration.toMilliseconds();
  if (millis % 1000 !== 0) {
    throw new WebhookFanoutPropsError(`${name} is ${duration.toHumanString()}; it must be a whole number of seconds`);
  }
  return millis / 1000;
}

export function requireRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new WebhookFanoutPropsError(`${name} is ${value}; it must be an integer from ${min} to ${max}`);
  }
}

/** The delivery timeout is whole seconds, and with its margin within Lambda's 15-minute limit. */
function checkDeliveryTimeout(props: WebhookFanoutProps, timeoutMs: number): void {
  const seconds = props.deliveryTimeout === undefined ? timeoutMs / 1000 : wholeSeconds('deliveryTimeout', props.deliveryTimeout);
  requireRange('deliveryTimeout (seconds)', seconds, 1, MAX_DELIVERY_TIMEOUT_SECONDS);
}

function requireWithin(name: string, value: number, max: number): void {
  if (value > max) throw new WebhookFanoutPropsError(`${name} is ${value}; it must be at most the delivery timeout, ${max}`);
}

function retryScheduleSeconds(schedule: Duration[]): number[] {
  const seconds = schedule.map((delay, index) => wholeSeconds(`retrySchedule[${index}]`, delay));
  if (seconds.length < 1 || seconds.length > MAX_RETRIES) {
    throw new WebhookFanoutPropsError(
      `retrySchedule has ${seconds.length} delays; it needs 1 to ${MAX_RETRIES} so retries stay below ` +
        `the delivery queue's maxReceiveCount of ${DELIVERY_MAX_RECEIVE_COUNT}`,
    );
  }
  seconds.forEach((delay, index) => {
    const problem = settingProblem('retrySchedule', [delay]);
    if (problem !== undefined) {
      throw new WebhookFanoutPropsError(
        `retrySchedule[${index}] is ${delay} seconds; ${problem} (at most 12 hours, the SQS visibility timeout limit)`,
      );
    }
  });
  const spanSeconds = retrySpan(seconds);
  if (spanSeconds >= QUEUE_RETENTION.toSeconds()) {
    throw new WebhookFanoutPropsError(
      `retrySchedule spans up to ${spanSeconds} seconds with jitter; it must end within the 14-day ` +
        `queue retention (${QUEUE_RETENTION.toSeconds()} s)`,
    );
  }
  return seconds;
}

/** The longest the retries can take: every delay at its most with jitter. */
const retrySpan = (seconds: readonly number[]): number => Math.ceil(seconds.reduce((sum, s) => sum + s, 0) * (1 + JITTER));

/** Records must outlive their retries: the delivery reads the event and counts attempts in its record. */
function checkOutlivesRetries(name: string, retention: Duration | undefined, days: number, retrySpanSeconds: number): void {
  if (days * 86_400 > retrySpanSeconds) return;
  throw new WebhookFanoutPropsError(
    `${name} is ${(retention ?? Duration.days(days)).toHumanString()}; it must be whole days and longer than the retry schedule ` +
      `(${retrySpanSeconds} s with jitter)`,
  );
}
