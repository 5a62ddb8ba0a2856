import { type App, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { parseSetting } from '../lambdas/core/settings';
import { DEFAULT_STACK_NAME } from './stack-outputs';
import { WebhookFanoutStack } from './webhook-fanout-stack';
import type { WebhookFanoutProps } from './webhook-fanout';

/**
 * The construct id of the stack, so its template is always cdk.out/WebhookFanout.template.json,
 * whatever `stackName` says: the default stack's name, fixed.
 */
export const STACK_ID = DEFAULT_STACK_NAME;

/**
 * Adds the product's stack to an app, configured from the app's context (cdk.json or `-c key=value`):
 * `stackName`, `retrySchedule` (seconds, e.g. "5,300,1800"), `deliveryTimeoutSeconds`,
 * `removalPolicy` ("retain", the default, or "destroy" for throw-away stacks), `metricsNamespace`
 * (default: the stack name), `alarmTopicArn` (an existing SNS topic) and `alarmEmail` (addresses,
 * comma-separated, subscribed to that topic or to a new one). `cdk synth` and the local runtime
 * both build the app through here, so they always describe the same stack.
 */
export function addWebhookFanoutStack(app: App): WebhookFanoutStack {
  const context = contextReader(app);
  return new WebhookFanoutStack(app, STACK_ID, {
    stackName: context.string('stackName') ?? DEFAULT_STACK_NAME,
    description: 'Serverless webhook fan-out: signed, retried, logged deliveries',
    fanout: fanoutPropsFromContext(context),
    alarmNotifications: {
      topicArn: context.string('alarmTopicArn'),
      emails: context.list('alarmEmail'),
    },
  });
}

type ContextReader = ReturnType<typeof contextReader>;

function contextReader(app: App) {
  return {
    /** Context from the command line is a string, from cdk.json any JSON value: read both as text. */
    string(key: string): string | undefined {
      const value: unknown = app.node.tryGetContext(key);
      if (value === undefined || value === null || value === '') return undefined;
      return Array.isArray(value) ? value.join(',') : String(value);
    },
    /** A comma-separated list (or a JSON array in cdk.json), without empty entries. */
    list(key: string): string[] | undefined {
      return this.string(key)
        ?.split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    },
  };
}

function fanoutPropsFromContext(context: ContextReader): WebhookFanoutProps {
  const stringContext = (key: string) => context.string(key);
  const retrySchedule = stringContext('retrySchedule');
  const deliveryTimeoutSeconds = stringContext('deliveryTimeoutSeconds');
  const removalPolicy = stringContext('removalPolicy');
  return {
    // Read as the delivery function reads WEBHOOK_RETRY_SCHEDULE; the construct checks the rest.
    retrySchedule: retrySchedule === undefined ? undefined : parseSetting('retrySchedule', retrySchedule, 'context retrySchedule').map((s) => Duration.seconds(s)),
    deliveryTimeout:
      deliveryTimeoutSeconds === undefined
        ? undefined
        : Duration.seconds(numberContext('deliveryTimeoutSeconds', deliveryTimeoutSeconds)),
    removalPolicy: removalPolicy === undefined ? undefined : removalPolicyContext(removalPolicy),
    // Unset, WebhookFanoutStack takes the stack's name.
    metricsNamespace: stringContext('metricsNamespace'),
  };
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
