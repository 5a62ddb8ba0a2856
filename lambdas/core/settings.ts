import { ConfigError, type Env } from './config';
import { MAX_VISIBILITY_SECONDS, parseRetrySchedule } from './retry-policy';

/**
 * The registry of the product's settings: each is declared here once, with its environment
 * variable, the construct prop that sets it, its unit, default, allowed range and the functions
 * that read it. The construct checks its props against these entries and writes the variables
 * from them; the functions' config loaders, the local runtime, the demo and the benchmarks read
 * them back through `loadFunctionSettings` and `SETTINGS`. A value the construct accepts is a
 * value every function loads: the construct may only narrow a range (see `constructMin`), never
 * widen it.
 */

/** The functions the construct deploys, by role. */
export const FUNCTION_ROLES = ['api', 'ingest', 'fanout', 'delivery'] as const;
export type FunctionRole = (typeof FUNCTION_ROLES)[number];

/** What a setting's value is, and so how its variable is read and written. */
interface KindValues {
  /** A whole number within `min`..`max`. */
  integer: number;
  /** A number within `min`..`max`, fractions allowed. */
  fraction: number;
  /** `true` or `false`. */
  boolean: boolean;
  /** Text passed through as given (checked where it is used, e.g. the CIDR list). */
  text: string;
  /** Comma-separated whole numbers, each within `min`..`max`: the retry schedule. */
  integerList: number[];
}
type Kind = keyof KindValues;

interface SettingSpec {
  readonly kind: Kind;
  /** The environment variable the construct sets and the functions read. */
  readonly env: string;
  /** The `WebhookFanoutProps` prop that sets it; a Duration prop is converted to `unit`. */
  readonly prop: string;
  readonly unit: 'milliseconds' | 'seconds' | 'days' | 'bytes' | 'count' | 'per second' | 'share' | 'flag' | 'CIDR list';
  readonly default: number | boolean | string | readonly number[];
  /** Bounds of the value (of each entry for a list); none for flags and text. */
  readonly min?: number;
  readonly max?: number;
  /**
   * The construct refuses values below this, though the functions accept them: 0 is the
   * functions' "no limit", which the construct expresses by leaving the prop unset.
   */
  readonly constructMin?: number;
  /** The construct writes the variable only when the prop is set; unset, the functions use the default. */
  readonly onlyWhenSet?: boolean;
  readonly functions: readonly FunctionRole[];
}

const DAY_SECONDS = 86_400;

export const SETTINGS = {
  /**
   * Delays before retries 1..N of a delivery (N + 1 attempts), each +-20% jitter; each at most the
   * 12 hours SQS allows a visibility timeout.
   */
  retrySchedule: {
    kind: 'integerList',
    env: 'WEBHOOK_RETRY_SCHEDULE',
    prop: 'retrySchedule',
    unit: 'seconds',
    default: [5, 300, 1800, 7200, 18000, 36000, 36000],
    min: 0,
    max: MAX_VISIBILITY_SECONDS,
    functions: ['delivery'],
  },
  /** Total time for one delivery attempt. */
  timeoutMs: {
    kind: 'integer',
    env: 'WEBHOOK_TIMEOUT_MS',
    prop: 'deliveryTimeout',
    unit: 'milliseconds',
    default: 15_000,
    min: 100,
    max: 900_000,
    functions: ['delivery'],
  },
  /** An attempt still unanswered this long after it got its connection is slow: it needs a slot. */
  slowAttemptMs: {
    kind: 'integer',
    env: 'WEBHOOK_SLOW_ATTEMPT_MS',
    prop: 'slowAttemptThreshold',
    unit: 'milliseconds',
    default: 1_000,
    min: 100,
    max: 900_000,
    functions: ['delivery'],
  },
  /** Slow attempts one endpoint may have in flight across every function instance; 0 turns the limit off. */
  maxSlowAttemptsPerEndpoint: {
    kind: 'integer',
    env: 'WEBHOOK_MAX_SLOW_ATTEMPTS_PER_ENDPOINT',
    prop: 'maxSlowAttemptsPerEndpoint',
    unit: 'count',
    default: 5,
    min: 0,
    max: 1000,
    functions: ['delivery'],
  },
  /**
   * Slow attempts all endpoints together may have in flight across every function instance; 0
   * turns the limit off. The construct sets it to half the delivery concurrency unless given.
   */
  maxSlowAttempts: {
    kind: 'integer',
    env: 'WEBHOOK_MAX_SLOW_ATTEMPTS',
    prop: 'maxSlowAttempts',
    unit: 'count',
    default: 25,
    min: 0,
    max: 1000,
    functions: ['delivery'],
  },
  /** Attempts in a row without an answer that open an endpoint's circuit; 0 turns the breaker off. */
  circuitBreakerThreshold: {
    kind: 'integer',
    env: 'WEBHOOK_CIRCUIT_BREAKER_THRESHOLD',
    prop: 'circuitBreakerThreshold',
    unit: 'count',
    default: 5,
    min: 0,
    max: 1000,
    functions: ['delivery'],
  },
  /** Allow `http://` subscription URLs. */
  allowHttp: {
    kind: 'boolean',
    env: 'WEBHOOK_ALLOW_HTTP',
    prop: 'allowHttp',
    unit: 'flag',
    default: false,
    functions: ['api', 'delivery'],
  },
  /** CIDRs the SSRF guard lets deliveries reach, comma-separated; parsed by the target policy. */
  allowedPrivateNetworks: {
    kind: 'text',
    env: 'WEBHOOK_ALLOWED_PRIVATE_NETWORKS',
    prop: 'allowedPrivateNetworks',
    unit: 'CIDR list',
    default: '',
    functions: ['api', 'delivery'],
  },
  /** Largest accepted request body; at most 350 KiB so an event fits a DynamoDB item. */
  maxBodyBytes: {
    kind: 'integer',
    env: 'MAX_BODY_BYTES',
    prop: 'maxBodySize',
    unit: 'bytes',
    default: 256 * 1024,
    min: 1024,
    max: 350 * 1024,
    functions: ['api', 'ingest'],
  },
  /** How long events are kept (the replay window). */
  eventRetentionDays: {
    kind: 'integer',
    env: 'EVENT_RETENTION_DAYS',
    prop: 'eventRetention',
    unit: 'days',
    default: 30,
    min: 1,
    max: 3650,
    functions: ['ingest', 'delivery'],
  },
  /** How long delivery records are kept. */
  deliveryLogRetentionDays: {
    kind: 'integer',
    env: 'DELIVERY_LOG_RETENTION_DAYS',
    prop: 'deliveryLogRetention',
    unit: 'days',
    default: 30,
    min: 1,
    max: 3650,
    functions: ['ingest', 'delivery'],
  },
  /** How long the previous secret keeps signing after a rotation. */
  secretGraceSeconds: {
    kind: 'integer',
    env: 'SECRET_ROTATION_GRACE_SECONDS',
    prop: 'secretRotationGracePeriod',
    unit: 'seconds',
    default: DAY_SECONDS,
    min: 0,
    max: 30 * DAY_SECONDS,
    functions: ['api'],
  },
  /** How long a function caches an API key look-up, so how long a revoked key keeps working. */
  apiKeyCacheSeconds: {
    kind: 'integer',
    env: 'API_KEY_CACHE_SECONDS',
    prop: 'apiKeyCacheTtl',
    unit: 'seconds',
    default: 30,
    min: 0,
    max: 3600,
    functions: ['api', 'ingest'],
  },
  /** An endpoint failing without a single success for this long is disabled. */
  disableFailingAfterSeconds: {
    kind: 'integer',
    env: 'ENDPOINT_DISABLE_AFTER_SECONDS',
    prop: 'disableFailingEndpointsAfter',
    unit: 'seconds',
    default: 5 * DAY_SECONDS,
    min: 60,
    max: 365 * DAY_SECONDS,
    functions: ['delivery'],
  },
  /**
   * Share of successful delivery attempts (and accepted events) logged at INFO, the rest at DEBUG:
   * successes are most of the log bytes at scale. The local runtime sets 1, to show every attempt.
   */
  successLogSampleRate: {
    kind: 'fraction',
    env: 'WEBHOOK_SUCCESS_LOG_SAMPLE_RATE',
    prop: 'successLogSampleRate',
    unit: 'share',
    default: 0.01,
    min: 0,
    max: 1,
    functions: ['ingest', 'delivery'],
  },
  /** Requests per second one tenant may make to the HTTP API; 0 (the default) means no such limit. */
  tenantRateLimitPerSecond: {
    kind: 'integer',
    env: 'TENANT_RATE_LIMIT_PER_SECOND',
    prop: 'tenantRateLimitPerSecond',
    unit: 'per second',
    default: 0,
    min: 0,
    max: 100_000,
    constructMin: 1,
    onlyWhenSet: true,
    functions: ['api', 'ingest'],
  },
  /**
   * Tenants with at most this many subscriptions are fanned out by ingest itself (a few batches of
   * ten at most, so ingest's latency does not grow with subscribers); 0 turns that off.
   */
  inlineFanoutLimit: {
    kind: 'integer',
    env: 'INLINE_FANOUT_LIMIT',
    prop: 'inlineFanoutLimit',
    unit: 'count',
    default: 30,
    min: 0,
    max: 100,
    functions: ['ingest'],
  },
  /** Subscriptions one tenant may have at once; a create beyond it is a 409. */
  maxSubscriptionsPerTenant: {
    kind: 'integer',
    env: 'MAX_SUBSCRIPTIONS_PER_TENANT',
    prop: 'maxSubscriptionsPerTenant',
    unit: 'count',
    default: 100,
    min: 1,
    max: 1_000_000,
    functions: ['api'],
  },
  /** Event-type filters in one subscription. */
  maxEventTypesPerSubscription: {
    kind: 'integer',
    env: 'MAX_EVENT_TYPES_PER_SUBSCRIPTION',
    prop: 'maxEventTypesPerSubscription',
    unit: 'count',
    default: 100,
    min: 1,
    max: 1000,
    functions: ['api'],
  },
  /** Custom headers in one subscription; 0 allows none. */
  maxHeadersPerSubscription: {
    kind: 'integer',
    env: 'MAX_HEADERS_PER_SUBSCRIPTION',
    prop: 'maxHeadersPerSubscription',
    unit: 'count',
    default: 20,
    min: 0,
    max: 100,
    functions: ['api'],
  },
  /**
   * Bytes of one subscription's custom headers, names and values together, sent with every
   * delivery: 4 KiB keeps a webhook well inside the 8 to 16 KiB of headers common servers accept.
   */
  maxHeaderBytesPerSubscription: {
    kind: 'integer',
    env: 'MAX_HEADER_BYTES_PER_SUBSCRIPTION',
    prop: 'maxHeaderBytesPerSubscription',
    unit: 'bytes',
    default: 4096,
    min: 0,
    max: 16_384,
    functions: ['api'],
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** The value a setting holds once read. */
export type SettingValue<N extends SettingName> = KindValues[(typeof SETTINGS)[N]['kind']];
export type SettingValues = { [N in SettingName]: SettingValue<N> };

/** The environment variable of each setting, by setting name. */
export type SettingEnvNames = { [N in SettingName]: (typeof SETTINGS)[N]['env'] };
export const SETTING_ENV = Object.fromEntries(SETTING_NAMES.map((name) => [name, SETTINGS[name].env])) as SettingEnvNames;

const spec = (name: SettingName): SettingSpec => SETTINGS[name];

/** The settings a function reads. */
export const settingsOf = (role: FunctionRole): SettingName[] => SETTING_NAMES.filter((name) => spec(name).functions.includes(role));

export const settingDefault = <N extends SettingName>(name: N): SettingValue<N> => {
  const fallback = spec(name).default;
  return (Array.isArray(fallback) ? [...fallback] : fallback) as SettingValue<N>;
};

/**
 * The lowest and highest value (of each entry, for a list) the construct accepts; a flag or text
 * has none.
 */
export const constructRange = (name: SettingName): { min: number; max: number } | undefined => {
  const { min, max, constructMin } = spec(name);
  return min === undefined || max === undefined ? undefined : { min: constructMin ?? min, max };
};

const rangeText = (name: SettingName): string => {
  const { kind, min, max } = spec(name);
  if (kind === 'fraction') return `a number from ${min} to ${max}`;
  if (kind === 'integerList') return `a comma-separated list of whole numbers, each from ${min} to ${max}`;
  return `a whole number from ${min} to ${max}`;
};

/**
 * Why `value` is not a value of the setting, as a sentence to follow "<name> is <value>; ", or
 * undefined when it is one. `minimum` lets the construct apply its `constructMin`.
 */
export const settingProblem = (name: SettingName, value: unknown, minimum: number | undefined = spec(name).min): string | undefined => {
  const { kind, max } = spec(name);
  const inRange = (n: unknown, integer: boolean) =>
    typeof n === 'number' && Number.isFinite(n) && (!integer || Number.isInteger(n)) && n >= minimum! && n <= max!;
  switch (kind) {
    case 'integer':
      return inRange(value, true) ? undefined : `it must be an integer from ${minimum} to ${max}`;
    case 'fraction':
      return inRange(value, false) ? undefined : `it must be a number from ${minimum} to ${max}`;
    case 'integerList':
      if (!Array.isArray(value) || value.length === 0) return 'it must have at least one entry';
      return value.every((entry) => inRange(entry, true)) ? undefined : `each entry must be an integer from ${minimum} to ${max}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'it must be true or false';
    case 'text':
      return typeof value === 'string' ? undefined : 'it must be text';
  }
};

/** The text of a setting's environment variable. */
export const formatSetting = <N extends SettingName>(name: N, value: SettingValue<N>): string =>
  Array.isArray(value) ? value.join(',') : String(value);

/** Reads one setting from the environment: its default when unset or empty, else the checked value. */
export const readSetting = <N extends SettingName>(env: Env, name: N): SettingValue<N> => {
  const raw = env[spec(name).env];
  return raw === undefined || raw === '' ? settingDefault(name) : parseSetting(name, raw);
};

/**
 * A setting's value from its text (as its variable holds it), checked; a ConfigError naming
 * `variable` (the environment variable, unless the text came from elsewhere) when it is none.
 */
export const parseSetting = <N extends SettingName>(name: N, raw: string, variable: string = spec(name).env): SettingValue<N> => {
  const { kind } = spec(name);
  const refuse = (): never => {
    throw new ConfigError(`${variable} must be ${rangeText(name)}, got "${raw}"`);
  };
  let value: unknown;
  switch (kind) {
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw new ConfigError(`${variable} must be "true" or "false", got "${raw}"`);
      return (raw === 'true') as SettingValue<N>;
    case 'text':
      return raw as SettingValue<N>;
    case 'integerList':
      try {
        value = parseRetrySchedule(raw);
      } catch (error) {
        throw new ConfigError(`${variable} is invalid: ${(error as Error).message}`);
      }
      break;
    default:
      value = Number(raw);
  }
  return settingProblem(name, value) === undefined ? (value as SettingValue<N>) : refuse();
};

/** The settings one function reads, by name. */
export type FunctionSettings<R extends FunctionRole> = {
  [N in SettingName as R extends (typeof SETTINGS)[N]['functions'][number] ? N : never]: SettingValue<N>;
};

/**
 * Reads, at cold start, every setting the function `role` needs. A malformed or out-of-range
 * variable stops the function at once with the variable's name.
 */
export const loadFunctionSettings = <R extends FunctionRole>(role: R, env: Env): FunctionSettings<R> =>
  Object.fromEntries(settingsOf(role).map((name) => [name, readSetting(env, name)])) as FunctionSettings<R>;
