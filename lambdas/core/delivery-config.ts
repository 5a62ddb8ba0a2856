import { ENV } from './resource-env';
import { wrap, type Env } from './config';
import { loadFunctionSettings, type FunctionSettings } from './settings';
import { parseCidrList, type TargetPolicy } from './ssrf';

/**
 * Which targets deliveries may reach, from the allowHttp and allowedPrivateNetworks settings.
 * Apart from the settings registry so that functions that make no delivery and check no URL
 * (ingest, fan-out) do not load the address parser behind the target policy.
 */
export const parseTargetPolicy = (settings: { allowHttp: boolean; allowedPrivateNetworks: string }): TargetPolicy => ({
  allowHttp: settings.allowHttp,
  allowedNetworks: wrap(ENV.allowedPrivateNetworks, () => parseCidrList(settings.allowedPrivateNetworks)),
});

/**
 * How deliveries are made: the delivery function's settings (retry schedule, attempt timeout,
 * isolation between endpoints, retention...) and the target policy they allow.
 */
export type DeliveryPolicyConfig = FunctionSettings<'delivery'> & { targetPolicy: TargetPolicy };

export const parseDeliveryPolicy = (env: Env): DeliveryPolicyConfig => {
  const settings = loadFunctionSettings('delivery', env);
  return { ...settings, targetPolicy: parseTargetPolicy(settings) };
};
