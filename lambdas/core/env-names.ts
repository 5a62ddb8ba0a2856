import { requireString, type Env } from './config';
import { SETTING_ENV } from './settings';

/**
 * Names of the environment variables the functions read. The CDK construct sets them and the
 * handlers parse them, both from these constants, so the two cannot drift apart. The names of the
 * settings (retry schedule, limits, retention...) are declared with the rest of each setting in
 * the registry, settings.ts; these are the names of the resources the construct creates.
 */
export const RESOURCE_ENV = {
  eventsTable: 'EVENTS_TABLE',
  subscriptionsTable: 'SUBSCRIPTIONS_TABLE',
  deliveriesTable: 'DELIVERIES_TABLE',
  apiKeysTable: 'API_KEYS_TABLE',
  fanoutQueueUrl: 'FANOUT_QUEUE_URL',
  fanoutDlqUrl: 'FANOUT_DLQ_URL',
  deliveryQueueUrl: 'DELIVERY_QUEUE_URL',
  deliveryDlqUrl: 'DELIVERY_DLQ_URL',
} as const;

export const ENV = { ...RESOURCE_ENV, ...SETTING_ENV };

export type ResourceName = keyof typeof RESOURCE_ENV;

/** The named resources from the environment, each required (a ConfigError names the first one missing). */
export const requireResources = <K extends ResourceName>(env: Env, names: readonly K[]): Record<K, string> =>
  Object.fromEntries(names.map((name) => [name, requireString(env, RESOURCE_ENV[name])])) as Record<K, string>;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Names every function uses for its logs and metrics; the construct's settings are in settings.ts. */
export const DEFAULTS = {
  /** The `service` of every log line and the one dimension of every custom metric. */
  serviceName: 'webhook-fanout',
  metricsNamespace: 'WebhookFanout',
} as const;

/** Variables Powertools reads itself; the construct sets them. */
export const POWERTOOLS_ENV = {
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/**
 * The custom metrics (CloudWatch embedded metric format, through Powertools Metrics) the functions
 * emit and the construct graphs and alarms on. Every one has the single dimension `service`, and
 * DeliveryFailed also `reason` (one of the few FailureReason values): never a tenant or a
 * subscription, so the number of metrics, and their cost, stays flat as tenants grow.
 */
export const METRIC_NAMES = {
  eventsAccepted: 'EventsAccepted',
  fanoutDeliveries: 'FanoutDeliveries',
  deliveryAttempts: 'DeliveryAttempts',
  deliverySucceeded: 'DeliverySucceeded',
  deliveryFailed: 'DeliveryFailed',
  deliveriesExhausted: 'DeliveriesExhausted',
  deliveryLatency: 'DeliveryLatency',
  endToEndLatency: 'EndToEndLatency',
  deliveryLag: 'DeliveryLag',
  subscriptionsDisabled: 'SubscriptionsDisabled',
  rateLimitDeferrals: 'RateLimitDeferrals',
  deliveriesDeferred: 'DeliveriesDeferred',
  circuitsOpened: 'CircuitsOpened',
  circuitsClosed: 'CircuitsClosed',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

/** Dimension names of the custom metrics. */
export const METRIC_DIMENSIONS = {
  service: 'service',
  reason: 'reason',
} as const;

/** Key attribute names of the tables; the construct creates them and the stores read them. */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
} as const;
