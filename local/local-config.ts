import { parseApiKey } from '../lambdas/core/api-keys';
import { ENV } from '../lambdas/core/env-names';
import { SUBSCRIPTION_LIMITS } from '../lambdas/core/subscription-limits';

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
  allowedPrivateNetworks: '127.0.0.0/8,::1/128',
  allowHttp: 'true',
} as const;

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
  // Loopback and plain http are what a laptop needs; schedule and timeout come from the template
  // (the construct's values) unless set here, and so do the endpoint-isolation settings and the
  // subscription limits.
  const functionOverrides: Record<string, string> = {
    [ENV.allowedPrivateNetworks]: env[ENV.allowedPrivateNetworks] ?? LOCAL_DEFAULTS.allowedPrivateNetworks,
    [ENV.allowHttp]: env[ENV.allowHttp] ?? LOCAL_DEFAULTS.allowHttp,
    // A laptop shows every attempt; the deployed default samples successes to keep log cost down.
    [ENV.successLogSampleRate]: env[ENV.successLogSampleRate] ?? '1',
  };
  const fromTemplate = [ENV.retrySchedule, ENV.timeoutMs, ENV.slowAttemptMs, ENV.maxSlowAttemptsPerEndpoint, ENV.circuitBreakerThreshold];
  for (const name of [...fromTemplate, ...Object.values(SUBSCRIPTION_LIMITS).map((limit) => limit.env)]) {
    if (env[name] !== undefined && env[name] !== '') functionOverrides[name] = env[name]!;
  }
  return { port, ...(apiKey === undefined ? {} : { apiKey }), extraKeys, functionOverrides };
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
