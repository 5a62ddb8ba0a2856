import { optionalInteger, type Env } from './config';
import { ENV, type EnvName } from './env-names';
import { HttpError } from './errors';

/**
 * What one tenant may ask of the service through its subscriptions: how many it may have, and how
 * much each may carry. Every event becomes one POST per matching subscription, with its filters
 * matched and its headers sent each time, so these bound what one API key can make the service do.
 * The construct's props of the same names set them (through the environment variables named here);
 * the api function enforces them.
 */
export const SUBSCRIPTION_LIMITS = {
  /** Subscriptions one tenant may have at once; a create beyond it is a 409. */
  maxSubscriptionsPerTenant: { env: ENV.maxSubscriptionsPerTenant, fallback: 100, min: 1, max: 1_000_000 },
  /** Event-type filters in one subscription. */
  maxEventTypesPerSubscription: { env: ENV.maxEventTypesPerSubscription, fallback: 100, min: 1, max: 1000 },
  /** Custom headers in one subscription; 0 allows none. */
  maxHeadersPerSubscription: { env: ENV.maxHeadersPerSubscription, fallback: 20, min: 0, max: 100 },
  /**
   * Bytes of one subscription's custom headers, names and values together, sent with every
   * delivery: 4 KiB keeps a webhook well inside the 8 to 16 KiB of headers common servers accept.
   */
  maxHeaderBytesPerSubscription: { env: ENV.maxHeaderBytesPerSubscription, fallback: 4096, min: 0, max: 16_384 },
} as const satisfies Record<string, { env: EnvName; fallback: number; min: number; max: number }>;

export type SubscriptionLimitName = keyof typeof SUBSCRIPTION_LIMITS;
export type SubscriptionLimits = Record<SubscriptionLimitName, number>;

const LIMIT_NAMES = Object.keys(SUBSCRIPTION_LIMITS) as SubscriptionLimitName[];

/** Each limit from its environment variable, or its default. */
export const parseSubscriptionLimits = (env: Env): SubscriptionLimits =>
  Object.fromEntries(
    LIMIT_NAMES.map((name) => {
      const { env: variable, fallback, min, max } = SUBSCRIPTION_LIMITS[name];
      return [name, optionalInteger(env, variable, fallback, min, max)];
    }),
  ) as SubscriptionLimits;

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = parseSubscriptionLimits({});

/**
 * The bytes custom headers add to every delivery, names and values together: one a character, as
 * the header rules allow Latin-1 only.
 */
export const headerBytes = (headers: Readonly<Record<string, string>>): number =>
  Object.entries(headers).reduce((sum, [name, value]) => sum + name.length + value.length, 0);

/** The first two header names that are the same but for case, if any. */
export const sameNameHeaders = (headers: Readonly<Record<string, string>>): [string, string] | undefined => {
  const seen = new Map<string, string>();
  for (const name of Object.keys(headers)) {
    const earlier = seen.get(name.toLowerCase());
    if (earlier !== undefined) return [earlier, name];
    seen.set(name.toLowerCase(), name);
  }
  return undefined;
};

const beyond = (what: string, limit: SubscriptionLimitName, value: number): HttpError =>
  new HttpError(422, 'limit_exceeded', `${what}; a subscription may have at most ${value} (limit ${limit})`);

/**
 * Refuses, with a 422, the fields of a create or an update that no subscription may hold: header
 * names that differ only in case (HTTP header names are case-insensitive, so only one of them
 * could ever be sent), and more filters or headers than the limits allow. Fields not given are
 * not checked: an update replaces the lists it names and keeps the others.
 */
export const checkSubscriptionFields = (
  fields: { eventTypes?: readonly string[] | undefined; headers?: Readonly<Record<string, string>> | undefined },
  limits: SubscriptionLimits,
): void => {
  const { eventTypes, headers } = fields;
  const duplicate = headers === undefined ? undefined : sameNameHeaders(headers);
  if (duplicate !== undefined) {
    throw new HttpError(
      422,
      'duplicate_header',
      `headers "${duplicate[0]}" and "${duplicate[1]}" differ only in case; header names are case-insensitive, so give each once`,
    );
  }
  if (eventTypes !== undefined && eventTypes.length > limits.maxEventTypesPerSubscription) {
    throw beyond(`eventTypes has ${eventTypes.length} filters`, 'maxEventTypesPerSubscription', limits.maxEventTypesPerSubscription);
  }
  if (headers === undefined) return;
  const count = Object.keys(headers).length;
  if (count > limits.maxHeadersPerSubscription) {
    throw beyond(`headers has ${count} headers`, 'maxHeadersPerSubscription', limits.maxHeadersPerSubscription);
  }
  const bytes = headerBytes(headers);
  if (bytes > limits.maxHeaderBytesPerSubscription) {
    throw beyond(`headers take ${bytes} bytes (names and values)`, 'maxHeaderBytesPerSubscription', limits.maxHeaderBytesPerSubscription);
  }
};

/** The 409 of a create beyond the tenant's subscription quota. */
export const subscriptionQuotaExceeded = (limit: number): HttpError =>
  new HttpError(
    409,
    'subscription_quota_exceeded',
    `this tenant already has the most subscriptions it may have, ${limit} (limit maxSubscriptionsPerTenant); delete one to create another`,
  );
