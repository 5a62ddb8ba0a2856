/**
 * What the construct and the functions agree on about logs and metrics: the service name, the
 * metrics namespace, the variables Powertools reads, and every custom metric and dimension.
 */

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
