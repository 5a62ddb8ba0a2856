import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { WebhookFanoutPropsError, type WebhookFanout } from './webhook-fanout';

/** Where a stack's alarms are sent. */
export interface AlarmNotifications {
  /**
   * ARN of an existing SNS topic, in the stack's account and region, that every alarm notifies. A
   * topic encrypted with a customer-managed key must let CloudWatch (cloudwatch.amazonaws.com) use it.
   * @default - a new topic when `emails` are given, else none
   */
  readonly topicArn?: string;
  /**
   * E-mail addresses subscribed to the topic (each must confirm the subscription from the mail SNS
   * sends). Without `topicArn` they get a new topic, encrypted with the stack's key.
   * @default - none
   */
  readonly emails?: readonly string[];
}

const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

/**
 * Has every alarm of `fanout` notify the topic `notifications` names, or a new one for its e-mail
 * addresses; nothing when both are empty. Returns the topic.
 */
export function addAlarmNotifications(
  scope: Construct,
  fanout: WebhookFanout,
  notifications: AlarmNotifications,
): sns.ITopic | undefined {
  const emails = notifications.emails ?? [];
  for (const email of emails) {
    if (!EMAIL.test(email)) throw new WebhookFanoutPropsError(`alarm e-mail '${email}' is not an e-mail address`);
  }
  const topic =
    notifications.topicArn !== undefined
      ? sns.Topic.fromTopicArn(scope, 'AlarmTopic', checkedTopicArn(notifications.topicArn))
      : emails.length > 0
        ? encryptedTopic(scope, fanout)
        : undefined;
  if (topic === undefined) return undefined;
  for (const email of emails) topic.addSubscription(new EmailSubscription(email));
  fanout.addAlarmTopic(topic);
  return topic;
}

/** A standard topic's ARN: CloudWatch alarms cannot notify FIFO topics. */
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

function checkedTopicArn(arn: string): string {
  if (!Token.isUnresolved(arn) && !TOPIC_ARN.test(arn)) {
    throw new WebhookFanoutPropsError(
      `alarm topic ARN '${arn}' is not the ARN of a standard SNS topic (arn:aws:sns:<region>:<account>:<topic name>)`,
    );
  }
  return arn;
}

/**
 * A topic for the alarms, encrypted with the key of the tables and queues (SNS at rest), refusing
 * requests without TLS. CloudWatch publishes to it, so the key's policy lets CloudWatch use the key.
 */
function encryptedTopic(scope: Construct, fanout: WebhookFanout): sns.Topic {
  const added = fanout.key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublishToTheAlarmTopic',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  if (!added.statementAdded) {
    throw new WebhookFanoutPropsError(
      'alarm e-mails without a topic need a key whose policy the stack can change: with an imported ' +
        'encryptionKey, give the ARN of a topic CloudWatch can publish to',
    );
  }
  return new sns.Topic(scope, 'AlarmTopic', {
    displayName: 'Webhook fan-out alarms',
    masterKey: fanout.key,
    enforceSSL: true,
  });
}
