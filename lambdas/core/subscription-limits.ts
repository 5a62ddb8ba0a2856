import { HttpError } from './errors';
import { settingDefault, type SettingValues } from './settings';

/**
 * What one tenant may ask of the service through its subscriptions: how many it may have, and how
 * much each may carry. Every event becomes one POST per matching subscription, with its filters
 * matched and its headers sent each time, so these bound what one API key can make the service do.
 * They are settings like the others (declared, with their ranges and defaults, in settings.ts);
 * the api function enforces them.
 */
export const SUBSCRIPTION_LIMIT_NAMES = [
  'maxSubscriptionsPerTenant',
  'maxEventTypesPerSubscription',
  'maxHeadersPerSubscription',
  'maxHeaderBytesPerSubscription',
] as const;

export type SubscriptionLimitName = (typeof SUBSCRIPTION_LIMIT_NAMES)[number];
export type SubscriptionLimits = Pick<SettingValues, SubscriptionLimitName>;

/** The subscription limits among a function's settings. */
export const subscriptionLimitsOf = (settings: SubscriptionLimits): SubscriptionLimits =>
  Object.fromEntries(SUBSCRIPTION_LIMIT_NAMES.map((name) => [name, settings[name]])) as SubscriptionLimits;

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = Object.fromEntries(
  SUBSCRIPTION_LIMIT_NAMES.map((name) => [name, settingDefault(name)]),
) as SubscriptionLimits;

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

/** The 409 of a create beyond the quota: the tenant's own subscriptions, or one consumer's, are at the limit (each owner is counted apart). */
export const subscriptionQuotaExceeded = (limit: number, consumerId?: string): HttpError =>
  new HttpError(
    409,
    'subscription_quota_exceeded',
    `${consumerId === undefined ? 'this tenant' : `consumer "${consumerId}"`} already has the most subscriptions it may have, ${limit} (limit maxSubscriptionsPerTenant); delete one to create another`,
  );
