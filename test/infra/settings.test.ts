import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { parseTargetPolicy } from '../../lambdas/core/delivery-config';
import {
  FUNCTION_ROLES,
  SETTING_NAMES,
  SETTINGS,
  constructRange,
  loadFunctionSettings,
  settingDefault,
  settingsOf,
  type SettingName,
} from '../../lambdas/core/settings';
import { resolveConfig } from '../../lib/webhook-fanout/config';
import { WebhookFanoutPropsError, type WebhookFanoutProps } from '../../lib/webhook-fanout/props';
import { MAX_DELIVERY_TIMEOUT_SECONDS } from '../../lib/webhook-fanout/settings';

/*
 * The construct and the functions read one registry of settings (lambdas/core/settings.ts): every
 * value the construct accepts must load in every function, or a stack deploys and then every cold
 * start fails. Each setting is tried at its lowest, highest and default value through the
 * construct's validation, and the environment it writes is loaded as each function loads it.
 */

/** Where the construct accepts less than the functions do, and why. */
const CONSTRUCT_NARROWER: Partial<Record<SettingName, { min?: number; max?: number }>> = {
  // Whole seconds, within Lambda's 15 minutes less the delivery function's margin.
  timeoutMs: { min: 1000, max: MAX_DELIVERY_TIMEOUT_SECONDS * 1000 },
  // At most the delivery timeout (set to its highest below).
  slowAttemptMs: { max: MAX_DELIVERY_TIMEOUT_SECONDS * 1000 },
  // Below the delivery concurrency, 50 at its default.
  maxSlowAttempts: { max: 49 },
};

/** Props a value needs beside it: records outlive the retries, a slow attempt fits the timeout. */
const COMPANION_PROPS: Partial<Record<SettingName, WebhookFanoutProps>> = {
  eventRetentionDays: { retrySchedule: [Duration.seconds(1)] },
  deliveryLogRetentionDays: { retrySchedule: [Duration.seconds(1)] },
  slowAttemptMs: { deliveryTimeout: Duration.seconds(MAX_DELIVERY_TIMEOUT_SECONDS) },
  allowedPrivateNetworks: { vpc: {} as ec2.IVpc },
};

const bounds = (name: SettingName) => {
  const range = constructRange(name);
  return range === undefined ? undefined : { ...range, ...CONSTRUCT_NARROWER[name] };
};

/** The prop that sets `value`, in the prop's own type (a Duration for times). */
const propValue = (name: SettingName, value: unknown): unknown => {
  const { unit, kind } = SETTINGS[name];
  const duration = (n: number) =>
    unit === 'milliseconds' ? Duration.millis(n) : unit === 'seconds' ? Duration.seconds(n) : unit === 'days' ? Duration.days(n) : n;
  if (kind === 'integerList') return (value as number[]).map(duration);
  if (kind === 'text') return (value as string) === '' ? [] : (value as string).split(',');
  return typeof value === 'number' ? duration(value) : value;
};

/** Props setting `value`; the default is what an unset prop gives. */
const propsFor = (name: SettingName, value: unknown): WebhookFanoutProps => ({
  ...COMPANION_PROPS[name],
  ...(value === DEFAULT ? {} : { [SETTINGS[name].prop]: propValue(name, value) }),
});

const DEFAULT = Symbol('default');

/** What each function loads from the environment the construct writes for these props. */
const loadedByEveryFunction = (props: WebhookFanoutProps) => {
  const { environment } = resolveConfig(props);
  return FUNCTION_ROLES.map((role) => {
    const settings = loadFunctionSettings(role, environment) as Record<string, unknown>;
    if ('allowedPrivateNetworks' in settings) parseTargetPolicy(settings as { allowHttp: boolean; allowedPrivateNetworks: string });
    return { role, settings };
  });
};

/** Values of each setting worth trying: its bounds (of each entry, for a list), default, and both flags. */
const acceptedValues = (name: SettingName): Array<[string, unknown]> => {
  const range = bounds(name);
  const list = SETTINGS[name].kind === 'integerList';
  const values: Array<[string, unknown]> = [['default', DEFAULT]];
  if (range !== undefined) values.push(['lowest', list ? [range.min] : range.min], ['highest', list ? [range.max] : range.max]);
  if (SETTINGS[name].kind === 'boolean') values.push(['true', true], ['false', false]);
  if (name === 'allowedPrivateNetworks') values.push(['a network', '10.0.0.0/8,fd00::/8']);
  return values;
};

/** Values just outside the construct's range; a time below 0 cannot even be a Duration. */
const refusedValues = (name: SettingName): Array<[string, unknown]> => {
  const range = bounds(name);
  if (range === undefined) return [];
  const step = SETTINGS[name].kind === 'fraction' ? 0.01 : 1;
  const list = SETTINGS[name].kind === 'integerList';
  const isTime = ['milliseconds', 'seconds', 'days'].includes(SETTINGS[name].unit);
  const values: Array<[string, unknown]> = [['above the highest', list ? [range.max + step] : range.max + step]];
  if (!isTime || range.min > 0) values.push(['below the lowest', list ? [range.min - step] : range.min - step]);
  return values;
};

describe('Settings registry: the construct and the functions agree', () => {
  it('declares every setting for at least one function, and every function reads only declared settings', () => {
    for (const name of SETTING_NAMES) expect(SETTINGS[name].functions.length, name).toBeGreaterThan(0);
    expect(FUNCTION_ROLES.flatMap(settingsOf).every((name) => SETTING_NAMES.includes(name))).toBe(true);
  });

  it('writes every setting the construct is given no prop for as the default the functions use when it is unset', () => {
    const { environment } = resolveConfig({});
    for (const role of FUNCTION_ROLES) {
      expect(loadFunctionSettings(role, environment), role).toEqual(loadFunctionSettings(role, {}));
    }
  });

  describe.each(SETTING_NAMES)('%s', (name) => {
    it.each(acceptedValues(name))('accepted at its %s value, loads as that value in every function', (_label, value) => {
      const loaded = loadedByEveryFunction(propsFor(name, value));

      for (const { role, settings } of loaded) {
        const expected = value === DEFAULT ? settingDefault(name) : value;
        if (SETTINGS[name].functions.includes(role as never)) expect(settings[name], role).toEqual(expected);
      }
    });

    it.each(refusedValues(name))('refused %s by the construct, naming the prop', (_label, value) => {
      const build = () => resolveConfig(propsFor(name, value));

      expect(build).toThrow(WebhookFanoutPropsError);
      expect(build).toThrow(new RegExp(`^${SETTINGS[name].prop}\\b`));
    });
  });
});
