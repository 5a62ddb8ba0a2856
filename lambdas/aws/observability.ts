import { Logger } from '@aws-lambda-powertools/logger';
import { ConfigError } from '../core/config';
import { DEFAULTS, ENV, POWERTOOLS_ENV } from '../core/env-names';

/** The `service` of log lines and metrics: POWERTOOLS_SERVICE_NAME, set by the construct. */
export const serviceName = (): string => process.env[POWERTOOLS_ENV.serviceName] || DEFAULTS.serviceName;

/** One logger per function, named by its role; level and service name come from Powertools' own env. */
export const createLogger = (role: string): Logger =>
  new Logger({ serviceName: serviceName(), persistentKeys: { function: role } });

/**
 * The share of successful delivery attempts whose `delivery` line is written at INFO; the others
 * are written at DEBUG, which the default level drops. Failures, deferrals and exhaustion are
 * always written.
 */
export const parseSuccessLogSampleRate = (env: Record<string, string | undefined>): number => {
  const raw = env[ENV.successLogSampleRate];
  if (raw === undefined || raw === '') return DEFAULTS.successLogSampleRate;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError(`${ENV.successLogSampleRate} must be a number from 0 to 1, got "${raw}"`);
  }
  return value;
};
