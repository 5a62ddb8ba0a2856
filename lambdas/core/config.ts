import { DEFAULTS, ENV, type EnvName } from './env-names';

/**
 * Typed configuration, parsed once at cold start. A missing or malformed variable stops the
 * function at once with the variable's name, instead of failing later on some request.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

const fail = (name: EnvName, problem: string): never => {
  throw new ConfigError(`${name} ${problem}`);
};

export const requireString = (env: Env, name: EnvName): string => {
  const value = env[name];
  return value === undefined || value === '' ? fail(name, 'is required') : value;
};

export const optionalInteger = (env: Env, name: EnvName, fallback: number, min: number, max: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    return fail(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
};

export const optionalBoolean = (env: Env, name: EnvName, fallback: boolean): boolean => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return fail(name, `must be "true" or "false", got "${raw}"`);
};

/** Runs a parser, turning what it throws into a ConfigError that names the variable. */
export const wrap = <T>(name: EnvName, parse: () => T): T => {
  try {
    return parse();
  } catch (error) {
    return fail(name, `is invalid: ${(error as Error).message}`);
  }
};

export const parseRetention = (env: Env) => ({
  eventRetentionDays: optionalInteger(env, ENV.eventRetentionDays, DEFAULTS.eventRetentionDays, 1, 3650),
  deliveryLogRetentionDays: optionalInteger(env, ENV.deliveryLogRetentionDays, DEFAULTS.deliveryLogRetentionDays, 1, 3650),
});

export const parseMaxBodyBytes = (env: Env): number =>
  optionalInteger(env, ENV.maxBodyBytes, DEFAULTS.maxBodyBytes, 1024, DEFAULTS.maxBodyBytesLimit);

export const parseApiKeyCacheSeconds = (env: Env): number =>
  optionalInteger(env, ENV.apiKeyCacheSeconds, DEFAULTS.apiKeyCacheSeconds, 0, 3600);

export const parseSecretGraceSeconds = (env: Env): number =>
  optionalInteger(env, ENV.secretGraceSeconds, DEFAULTS.secretGraceSeconds, 0, 30 * 86400);

export const parseDisableFailingAfterSeconds = (env: Env): number =>
  optionalInteger(env, ENV.disableFailingAfterSeconds, DEFAULTS.disableFailingAfterSeconds, 60, 365 * 86400);

/** Requests per second one tenant may make to the HTTP API; 0 (the default) means no such limit. */
export const parseTenantRateLimit = (env: Env): number => optionalInteger(env, ENV.tenantRateLimitPerSecond, 0, 0, 100_000);

export const parseInlineFanoutLimit = (env: Env): number => optionalInteger(env, ENV.inlineFanoutLimit, 0, 0, 100);
