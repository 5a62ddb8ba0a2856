import type { EnvName } from './resource-env';

/**
 * Typed configuration, parsed once at cold start. A missing or malformed variable stops the
 * function at once with the variable's name, instead of failing later on some request. The
 * settings themselves are read through their registry, settings.ts.
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

/** Runs a parser, turning what it throws into a ConfigError that names the variable. */
export const wrap = <T>(name: EnvName, parse: () => T): T => {
  try {
    return parse();
  } catch (error) {
    return fail(name, `is invalid: ${(error as Error).message}`);
  }
};
