/** Event types are dot-separated words of `[A-Za-z0-9_.-]`, 1..128 characters. */
const EVENT_TYPE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export const MAX_EVENT_TYPE_LENGTH = 128;

export const isValidEventType = (type: string): boolean =>
  type.length >= 1 && type.length <= MAX_EVENT_TYPE_LENGTH && EVENT_TYPE.test(type);

/** A filter is an exact type, a prefix wildcard (`order.*`) or `*`. */
export const isValidEventTypeFilter = (filter: string): boolean => {
  if (filter === '*') return true;
  if (filter.endsWith('.*')) return isValidEventType(filter.slice(0, -2));
  return isValidEventType(filter);
};

export const filterMatches = (filter: string, type: string): boolean => {
  if (filter === '*') return true;
  if (filter.endsWith('.*')) return type.startsWith(filter.slice(0, -1));
  return filter === type;
};

export const anyFilterMatches = (filters: readonly string[], type: string): boolean =>
  filters.some((filter) => filterMatches(filter, type));

/**
 * Types the product publishes itself, about the tenant's own subscriptions and deliveries. The
 * prefix is reserved in any letter case: `Webhook.x` would look like one of them to a receiver
 * that compares names without case.
 */
export const OPERATIONAL_EVENT_PREFIX = 'webhook.';
export const OPERATIONAL_EVENT_TYPES = {
  subscriptionDisabled: 'webhook.subscription.disabled',
  deliveryExhausted: 'webhook.delivery.exhausted',
} as const;

export const isOperationalEventType = (type: string): boolean =>
  type.slice(0, OPERATIONAL_EVENT_PREFIX.length).toLowerCase() === OPERATIONAL_EVENT_PREFIX;
