import { requireString, type Env } from './config';
import { SETTING_ENV } from './settings';

/**
 * What the construct and the functions agree on about the resources: the environment variables
 * naming each table and queue, and the tables' key attributes.
 *
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

/** Key attribute names of the tables; the construct creates them and the stores read them. */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
} as const;

/**
 * The partition key of the API keys table's one settings item (the checksum settings). Key ids all
 * start with `key_`, so it cannot collide with a key; delivery may read this item and no other.
 */
export const CHECKSUM_SETTINGS_PK = 'api-key-checksum';
