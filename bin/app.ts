import { App } from 'aws-cdk-lib';
import { addWebhookFanoutStack } from '../lib/app';

/*
 * Optional context (cdk.json or `-c key=value`):
 *   stackName               CloudFormation stack name (default WebhookFanout)
 *   retrySchedule           delays before retries in seconds, e.g. "5,300,1800"
 *   deliveryTimeoutSeconds  time for one delivery attempt
 *   removalPolicy           "retain" (default) or "destroy", for throw-away stacks
 */
addWebhookFanoutStack(new App());
