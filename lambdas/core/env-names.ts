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
  /** An endpoint failing without a single success for this long is disabled. */
  disableFailingAfterSeconds: 5 * 86400,
} as const;

/** Key attribute names of the tables; the construct creates them and the stores read them. */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
} as const;
