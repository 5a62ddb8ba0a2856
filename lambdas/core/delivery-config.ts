import { DEFAULTS, ENV } from './env-names';
import { optionalBoolean, optionalInteger, wrap, type Env } from './config';
import { parseRetrySchedule } from './retry-policy';
import { parseCidrList, type TargetPolicy } from './ssrf';

/**
 * How deliveries are made: the retry schedule, the attempt timeout and which targets are allowed.
 * Apart from the rest of the configuration so that functions that make no delivery and check no
 * URL (ingest, fan-out) do not load the address parser behind the target policy.
 */
export interface DeliveryPolicyConfig {
  retrySchedule: number[];
  timeoutMs: number;
  targetPolicy: TargetPolicy;
  /** Isolation between endpoints: the slow-attempt limit and the circuit breaker. */
  slowAttemptMs: number;
  maxSlowAttemptsPerEndpoint: number;
  circuitBreakerThreshold: number;
}

export const parseDeliveryPolicy = (env: Env): DeliveryPolicyConfig => ({
  retrySchedule: wrap(ENV.retrySchedule, () =>
    env[ENV.retrySchedule] ? parseRetrySchedule(env[ENV.retrySchedule]!) : [...DEFAULTS.retryScheduleSeconds],
  ),
  timeoutMs: optionalInteger(env, ENV.timeoutMs, DEFAULTS.timeoutMs, 100, 900_000),
  slowAttemptMs: optionalInteger(env, ENV.slowAttemptMs, DEFAULTS.slowAttemptMs, 100, 900_000),
  maxSlowAttemptsPerEndpoint: optionalInteger(env, ENV.maxSlowAttemptsPerEndpoint, DEFAULTS.maxSlowAttemptsPerEndpoint, 0, 1000),
  circuitBreakerThreshold: optionalInteger(env, ENV.circuitBreakerThreshold, DEFAULTS.circuitBreakerThreshold, 0, 1000),
  targetPolicy: {
    allowHttp: optionalBoolean(env, ENV.allowHttp, false),
    allowedNetworks: wrap(ENV.allowedPrivateNetworks, () => parseCidrList(env[ENV.allowedPrivateNetworks] ?? '')),
  },
});

