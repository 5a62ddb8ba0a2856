import { App } from 'aws-cdk-lib';
import { addWebhookFanoutStack } from '../lib/app';

/*
 * Optional context (cdk.json or `-c key=value`):
 *   stackName               CloudFormation stack name (default WebhookFanout)
 *   retrySchedule           delays before retries in seconds, e.g. "5,300,1800"
 *   deliveryTimeoutSeconds  time for one delivery attempt
 *   removalPolicy           "retain" (default) or "destroy", for throw-away stacks
 *   metricsNamespace        CloudWatch namespace of the custom metrics (default: the stack name)
 *   alarmTopicArn           existing SNS topic every alarm notifies (default: none)
 *   alarmEmail              e-mail addresses, comma-separated, subscribed to that topic, or to a new
 *                           one without alarmTopicArn (default: none)
 */
addWebhookFanoutStack(new App());
