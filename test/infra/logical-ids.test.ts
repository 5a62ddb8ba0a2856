import { RemovalPolicy, type App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { WebhookFanoutStack, type WebhookFanoutStackProps } from '../../lib/webhook-fanout-stack';
import { createTestApp, type CfnResource } from './synth';

/*
 * The logical ids of the resources that hold state. They are retained when they leave the stack, so a
 * changed id (a renamed construct, a construct moved under another parent) would not move them: an
 * upgrade would create new, empty tables, queues, key and log groups beside the old ones, and point
 * the functions at those. Any change to these lists needs a migration, not a test update.
 */

/** Every stateful resource of the default stack, by logical id. */
const DEFAULT_STACK_STATEFUL = {
  WebhookFanoutKey53320C71: 'AWS::KMS::Key',
  WebhookFanoutEventsTableD6040D94: 'AWS::DynamoDB::Table',
  WebhookFanoutSubscriptionsTable84835D5F: 'AWS::DynamoDB::Table',
  WebhookFanoutDeliveriesTable217C8603: 'AWS::DynamoDB::Table',
  WebhookFanoutApiKeysTable2CF1FDB0: 'AWS::DynamoDB::Table',
  WebhookFanoutFanoutQueue5ABB27EE: 'AWS::SQS::Queue',
  WebhookFanoutFanoutDeadLetterQueueCAA24A4A: 'AWS::SQS::Queue',
  WebhookFanoutDeliveryQueueBBCFACA3: 'AWS::SQS::Queue',
  WebhookFanoutDeliveryDeadLetterQueue071D0CC0: 'AWS::SQS::Queue',
  WebhookFanoutIngestFunctionLogGroup348D9763: 'AWS::Logs::LogGroup',
  WebhookFanoutApiFunctionLogGroupC7D26303: 'AWS::Logs::LogGroup',
  WebhookFanoutFanoutFunctionLogGroupB849CF7B: 'AWS::Logs::LogGroup',
  WebhookFanoutDeliveryFunctionLogGroup67496B73: 'AWS::Logs::LogGroup',
  WebhookFanoutApiAccessLogGroup92684933: 'AWS::Logs::LogGroup',
} as const;

/**
 * The alarm topic the stack creates for alarm e-mails, and a subscription: a new topic would need
 * every address to confirm its subscription again.
 */
const ALARM_TOPIC_STATEFUL = {
  AlarmTopicD01E77F9: 'AWS::SNS::Topic',
  AlarmTopicopsexamplecom7B0F70A1: 'AWS::SNS::Subscription',
} as const;

/** Types that hold data, or that others (subscribers, dashboards, queries) know by identity. */
const STATEFUL_TYPES = new Set([
  'AWS::KMS::Key',
  'AWS::DynamoDB::Table',
  'AWS::SQS::Queue',
  'AWS::Logs::LogGroup',
  'AWS::SNS::Topic',
  'AWS::SNS::Subscription',
]);

function resourcesOf(props: WebhookFanoutStackProps, app: App = createTestApp()): Record<string, CfnResource> {
  const stack = new WebhookFanoutStack(app, 'WebhookFanout', props);
  return (Template.fromStack(stack).toJSON() as { Resources: Record<string, CfnResource> }).Resources;
}

/** The stateful resources (by type) and every resource kept on delete, as logical id to type. */
function statefulResources(resources: Record<string, CfnResource>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(resources)
      .filter(([, res]) => STATEFUL_TYPES.has(res.Type) || res.DeletionPolicy === 'Retain' || res.DeletionPolicy === 'Snapshot')
      .map(([id, res]) => [id, res.Type]),
  );
}

function retainedIds(resources: Record<string, CfnResource>): string[] {
  return Object.entries(resources)
    .filter(([, res]) => res.DeletionPolicy === 'Retain')
    .map(([id]) => id)
    .sort();
}

describe('Logical ids of stateful resources', () => {
  const defaults = resourcesOf({});

  it('keeps the ids of the default stack, every one of them retained on delete', () => {
    expect(statefulResources(defaults)).toEqual(DEFAULT_STACK_STATEFUL);
    expect(retainedIds(defaults)).toEqual(Object.keys(DEFAULT_STACK_STATEFUL).sort());
  });

  it('keeps the ids of the alarm topic the stack creates for alarm e-mails, and of its subscription', () => {
    const resources = resourcesOf({ alarmNotifications: { emails: ['ops@example.com'] } });

    expect(statefulResources(resources)).toEqual({ ...DEFAULT_STACK_STATEFUL, ...ALARM_TOPIC_STATEFUL });
  });

  it('keeps the same ids whatever the removal policy', () => {
    const resources = resourcesOf({ fanout: { removalPolicy: RemovalPolicy.DESTROY } });

    expect(statefulResources(resources)).toEqual(DEFAULT_STACK_STATEFUL);
    expect(retainedIds(resources)).toEqual([]);
  });
});
