/**
 * Output ids of `WebhookFanoutStack`. The operator CLI finds a deployed stack's resources by these
 * keys, so they live apart from the CDK code: reading them costs the CLI no aws-cdk-lib import.
 */
export const STACK_OUTPUTS = {
  apiUrl: 'ApiUrl',
  eventsTableName: 'EventsTableName',
  subscriptionsTableName: 'SubscriptionsTableName',
  deliveriesTableName: 'DeliveriesTableName',
  apiKeysTableName: 'ApiKeysTableName',
  fanoutQueueUrl: 'FanoutQueueUrl',
  fanoutDeadLetterQueueUrl: 'FanoutDeadLetterQueueUrl',
  deliveryQueueUrl: 'DeliveryQueueUrl',
  deliveryDeadLetterQueueUrl: 'DeliveryDeadLetterQueueUrl',
} as const;

export type StackOutputId = (typeof STACK_OUTPUTS)[keyof typeof STACK_OUTPUTS];

export const DEFAULT_STACK_NAME = 'WebhookFanout';
