import { parseApiKey } from '../lambdas/core/api-keys';
import { SETTING_NAMES, SETTINGS, formatSetting, type SettingName, type SettingValues } from '../lambdas/core/settings';

/**
 * The local runtime's configuration contract (environment variables, with local defaults). The
 * names are part of the product's interface: tests and tools depend on them.
 */
export interface LocalConfig {
  port: number;
  apiKey?: string;
  /** More tenants' keys, from `LOCAL_API_KEYS=tenantA:keyA,tenantB:keyB`. */
  extraKeys: Array<{ tenantId: string; key: string }>;
  /** Values handed to every function, overriding what the template gives for AWS. */
  functionOverrides: Record<string, string>;
}

export class LocalConfigError extends Error {
  override name = 'LocalConfigError';
}

export const LOCAL_DEFAULTS = {
  port: 3000,
} as const;

/**
 * Settings (lambdas/core/settings.ts) a laptop needs other than the deployed defaults: loopback
 * and plain http as targets, and every successful attempt shown (the deployed default samples
 * successes to keep log cost down).
 */
export const LOCAL_SETTINGS: Partial<SettingValues> = {
  allowedPrivateNetworks: '127.0.0.0/8,::1/128',
  allowHttp: true,
  successLogSampleRate: 1,
};

export const readLocalConfig = (env: NodeJS.ProcessEnv): LocalConfig => {
  const rawPort = env.PORT ?? String(LOCAL_DEFAULTS.port);
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LocalConfigError(`PORT must be a port number from 0 to 65535, got "${rawPort}"`);
  }
  const apiKey = env.LOCAL_API_KEY === '' ? undefined : env.LOCAL_API_KEY;
  if (apiKey !== undefined && !isLocalKey(apiKey)) {
    throw new LocalConfigError(
      'LOCAL_API_KEY is not a webhook-fanout API key made for a local pipeline (wfk_...); unset it to get a generated one, ' +
        'or make one with `npm run webhook-fanout -- keys generate`',
    );
  }
  const extraKeys = parseExtraKeys(env.LOCAL_API_KEYS ?? '');
  // Every setting set in the environment goes to every function; unset, a setting keeps the local
  // value above, else the template's (the construct's values). Each function checks what it reads.
  const functionOverrides: Record<string, string> = {};
  for (const name of SETTING_NAMES) {
    const value = env[SETTINGS[name].env] ?? localSetting(name);
    if (value !== undefined && value !== '') functionOverrides[SETTINGS[name].env] = value;
  }
  return { port, ...(apiKey === undefined ? {} : { apiKey }), extraKeys, functionOverrides };
};

const localSetting = (name: SettingName): string | undefined => {
  const value = LOCAL_SETTINGS[name];
  return value === undefined ? undefined : formatSetting(name, value);
};

const TENANT = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Keys given to a local pipeline carry the unkeyed tag (`keys generate` makes them): a keyed key
 * is bound to the checksum secret of the deployment that made it, which a local pipeline lacks.
 */
const isLocalKey = (key: string): boolean => parseApiKey(key)?.tag === 'unkeyed';

const parseExtraKeys = (value: string): LocalConfig['extraKeys'] =>
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const separator = entry.indexOf(':');
      const tenantId = entry.slice(0, separator);
      const key = entry.slice(separator + 1);
      if (separator < 1 || !TENANT.test(tenantId) || !isLocalKey(key)) {
        throw new LocalConfigError(
          `LOCAL_API_KEYS entry "${entry.slice(0, 20)}..." must be <tenant>:<key>, the key made by ` +
            '`npm run webhook-fanout -- keys generate`',
        );
      }
      return { tenantId, key };
    });
