import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lambdas/core/config';
import { ENV } from '../../../lambdas/core/resource-env';
import { loadFunctionSettings, parseSetting, readSetting } from '../../../lambdas/core/settings';

describe('Module: settings', () => {
  describe('Function: readSetting', () => {
    it('gives the default for an unset or empty variable', () => {
      expect(readSetting({}, 'successLogSampleRate')).toBe(0.01);
      expect(readSetting({ [ENV.inlineFanoutLimit]: '' }, 'inlineFanoutLimit')).toBe(30);
      expect(readSetting({}, 'retrySchedule')).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    });

    it('reads each kind of value', () => {
      expect(readSetting({ [ENV.successLogSampleRate]: '1' }, 'successLogSampleRate')).toBe(1);
      expect(readSetting({ [ENV.allowHttp]: 'true' }, 'allowHttp')).toBe(true);
      expect(readSetting({ [ENV.retrySchedule]: '1, 2' }, 'retrySchedule')).toEqual([1, 2]);
      expect(readSetting({ [ENV.maxBodyBytes]: '1024' }, 'maxBodyBytes')).toBe(1024);
    });

    it.each([
      [ENV.successLogSampleRate, '5%', 'successLogSampleRate'],
      [ENV.successLogSampleRate, '1.5', 'successLogSampleRate'],
      [ENV.maxBodyBytes, '512', 'maxBodyBytes'],
      [ENV.eventRetentionDays, '3651', 'eventRetentionDays'],
      [ENV.secretGraceSeconds, String(30 * 86400 + 1), 'secretGraceSeconds'],
      [ENV.allowHttp, 'yes', 'allowHttp'],
      [ENV.retrySchedule, '5s,1m', 'retrySchedule'],
    ] as const)('stops at cold start on %s=%s, naming the variable', (variable, value, name) => {
      expect(() => readSetting({ [variable]: value }, name)).toThrow(ConfigError);
      expect(() => readSetting({ [variable]: value }, name)).toThrow(variable);
    });
  });

  it('names where the text came from when it is not a variable', () => {
    expect(() => parseSetting('retrySchedule', '5,x', 'context retrySchedule')).toThrow(/^context retrySchedule is invalid/);
  });

  it('loads for each function only the settings it reads', () => {
    expect(Object.keys(loadFunctionSettings('fanout', {}))).toEqual([]);
    expect(loadFunctionSettings('ingest', {})).toHaveProperty('inlineFanoutLimit', 30);
    expect(loadFunctionSettings('api', {})).not.toHaveProperty('retrySchedule');
  });
});
