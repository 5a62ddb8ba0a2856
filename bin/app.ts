import { App, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { WebhookFanoutStack } from '../lib/webhook-fanout-stack';
import type { WebhookFanoutProps } from '../lib/webhook-fanout';

/*
 * Optional context (cdk.json or `-c key=value`):
 *   stackName               CloudFormation stack name (default WebhookFanout)
 *   retrySchedule           delays before retries in seconds, e.g. "5,300,1800"
 *   deliveryTimeoutSeconds  time for one delivery attempt
 *   removalPolicy           "retain" (default) or "destroy", for throw-away stacks
 */
const app = new App();

new WebhookFanoutStack(app, 'WebhookFanout', {
  stackName: stringContext('stackName') ?? 'WebhookFanout',
  description: 'Serverless webhook fan-out: signed, retried, logged deliveries',
  fanout: fanoutPropsFromContext(),
});

function fanoutPropsFromContext(): WebhookFanoutProps {
  const retrySchedule = stringContext('retrySchedule');
  const deliveryTimeoutSeconds = stringContext('deliveryTimeoutSeconds');
  const removalPolicy = stringContext('removalPolicy');
  return {
    retrySchedule: retrySchedule?.split(',').map((s) => Duration.seconds(numberContext('retrySchedule', s))),
    deliveryTimeout:
      deliveryTimeoutSeconds === undefined
        ? undefined
        : Duration.seconds(numberContext('deliveryTimeoutSeconds', deliveryTimeoutSeconds)),
    removalPolicy: removalPolicy === undefined ? undefined : removalPolicyContext(removalPolicy),
  };
}

/** Context from the command line is a string, from cdk.json any JSON value: read both as text. */
function stringContext(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
}

function numberContext(key: string, text: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new Error(`context ${key}: '${text}' is not a number`);
  }
  return value;
}

function removalPolicyContext(text: string): RemovalPolicy {
  switch (text.toLowerCase()) {
    case 'retain':
      return RemovalPolicy.RETAIN;
    case 'destroy':
      return RemovalPolicy.DESTROY;
    default:
      throw new Error(`context removalPolicy: '${text}' must be 'retain' or 'destroy'`);
  }
}
