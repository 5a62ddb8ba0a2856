/**
 * Names of the environment variables the functions read. The CDK construct sets them and the
 * handlers parse them, both from these constants, so the two cannot drift apart.
 */
export const ENV = {
  eventsTable: 'EVENTS_TABLE',
  subscriptionsTable: 'SUBSCRIPTIONS_TABLE',
  deliveriesTable: 'DELIVERIES_TABLE',
  apiKeysTable: 'API_KEYS_TABLE',
  fanoutQueueUrl: 'FANOUT_QUEUE_URL',
  fanoutDlqUrl: 'FANOUT_DLQ_URL',
  deliveryQueueUrl: 'DELIVERY_QUEUE_URL',
  deliveryDlqUrl: 'DELIVERY_DLQ_URL',
  retrySchedule: 'WEBHOOK_RETRY_SCHEDULE',
  timeoutMs: 'WEBHOOK_TIMEOUT_MS',
  allowedPrivateNetworks: 'WEBHOOK_ALLOWED_PRIVATE_NETWORKS',
  allowHttp: 'WEBHOOK_ALLOW_HTTP',
  maxBodyBytes: 'MAX_BODY_BYTES',
  eventRetentionDays: 'EVENT_RETENTION_DAYS',
  deliveryLogRetentionDays: 'DELIVERY_LOG_RETENTION_DAYS',
  secretGraceSeconds: 'SECRET_ROTATION_GRACE_SECONDS',
  apiKeyCacheSeconds: 'API_KEY_CACHE_SECONDS',
  disableFailingAfterSeconds: 'ENDPOINT_DISABLE_AFTER_SECONDS',
  successLogSampleRate: 'WEBHOOK_SUCCESS_LOG_SAMPLE_RATE',
  tenantRateLimitPerSecond: 'TENANT_RATE_LIMIT_PER_SECOND',
  inlineFanoutLimit: 'INLINE_FANOUT_LIMIT',
  slowAttemptMs: 'WEBHOOK_SLOW_ATTEMPT_MS',
  maxSlowAttemptsPerEndpoint: 'WEBHOOK_MAX_SLOW_ATTEMPTS_PER_ENDPOINT',
  circuitBreakerThreshold: 'WEBHOOK_CIRCUIT_BREAKER_THRESHOLD',
  maxSubscriptionsPerTenant: 'MAX_SUBSCRIPTIONS_PER_TENANT',
  maxEventTypesPerSubscription: 'MAX_EVENT_TYPES_PER_SUBSCRIPTION',
  maxHeadersPerSubscription: 'MAX_HEADERS_PER_SUBSCRIPTION',
  maxHeaderBytesPerSubscription: 'MAX_HEADER_BYTES_PER_SUBSCRIPTION',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Defaults shared by the construct's props and the handlers' config parsers. */
export const DEFAULTS = {
  retryScheduleSeconds: [5, 300, 1800, 7200, 18000, 36000, 36000],
  timeoutMs: 15_000,
  maxBodyBytes: 256 * 1024,
  maxBodyBytesLimit: 350 * 1024,
  eventRetentionDays: 30,
  deliveryLogRetentionDays: 30,
  secretGraceSeconds: 24 * 3600,
  apiKeyCacheSeconds: 30,
  /**
   * Tenants with at most this many subscriptions are fanned out by ingest itself (a few batches of
   * ten at most, so ingest's latency does not grow with subscribers); 0 turns that off.
   */
  inlineFanoutLimit: 30,
  /** An attempt still unanswered this long after it got its connection is slow: it needs a slot. */
  slowAttemptMs: 1_000,
  /** Slow attempts one endpoint may have in flight across every function instance; 0 turns the limit off. */
  maxSlowAttemptsPerEndpoint: 5,
  /** Attempts in a row without an answer that open an endpoint's circuit; 0 turns the breaker off. */
  circuitBreakerThreshold: 5,
  /** An endpoint failing without a single success for this long is disabled. */
  disableFailingAfterSeconds: 5 * 86400,
  /** The `service` of every log line and the one dimension of every custom metric. */
  serviceName: 'webhook-fanout',
  metricsNamespace: 'WebhookFanout',
  /**
   * Share of successful delivery attempts logged at INFO (the rest at DEBUG): successes are most
   * of the log bytes at scale. The local runtime sets 1, to show every attempt.
   */
  successLogSampleRate: 0.01,
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
