import { ENV } from '../../lambdas/core/resource-env';

/**
 * The environment every function needs to load, with stand-in names: handlers parse their config
 * and create their SDK clients at import, and none of that touches the network. Static credentials
 * keep the SDK from looking for any elsewhere (no instance metadata, no profile files).
 */
export const functionEnvironment = (overrides: Record<string, string> = {}): Record<string, string> => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIABENCHMARK0000000',
  AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key',
  AWS_EC2_METADATA_DISABLED: 'true',
  [ENV.eventsTable]: 'bench-events',
  [ENV.subscriptionsTable]: 'bench-subscriptions',
  [ENV.deliveriesTable]: 'bench-deliveries',
  [ENV.apiKeysTable]: 'bench-api-keys',
  [ENV.fanoutQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-fanout',
  [ENV.fanoutDlqUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-fanout-dlq',
  [ENV.deliveryQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-delivery',
  [ENV.deliveryDlqUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-delivery-dlq',
  ...overrides,
});
