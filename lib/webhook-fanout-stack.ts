import { CfnOutput, Stack, Token, type StackProps } from 'aws-cdk-lib';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { addAlarmNotifications, type AlarmNotifications } from './alarm-notifications';
import { STACK_OUTPUTS, type StackOutputId } from './stack-outputs';
import { WebhookFanout, type WebhookFanoutProps } from './webhook-fanout';

export { STACK_OUTPUTS, type StackOutputId } from './stack-outputs';
export type { AlarmNotifications } from './alarm-notifications';

export interface WebhookFanoutStackProps extends StackProps {
  /**
   * Props of the stack's `WebhookFanout` construct.
   * @default - the construct's defaults, but for `metricsNamespace`: the stack's name, so two stacks
   * in one account and region never share metrics (the default stack, `WebhookFanout`, keeps the
   * construct's default namespace of the same name)
   */
  readonly fanout?: WebhookFanoutProps;
  /**
   * Where the alarms are sent: an existing SNS topic, e-mail addresses, or both.
   * @default - the alarms notify no one, unless `fanout.alarmTopic` is set
   */
  readonly alarmNotifications?: AlarmNotifications;
}

/** A stack holding one `WebhookFanout` and the outputs operators need. */
export class WebhookFanoutStack extends Stack {
  public readonly fanout: WebhookFanout;
  /** The topic the alarms notify, when `alarmNotifications` names one or e-mail addresses. */
  public readonly alarmTopic?: ITopic;

  constructor(scope: Construct, id: string, props: WebhookFanoutStackProps = {}) {
    super(scope, id, props);
    const fanout = new WebhookFanout(this, 'WebhookFanout', {
      ...props.fanout,
      metricsNamespace: props.fanout?.metricsNamespace ?? (Token.isUnresolved(this.stackName) ? undefined : this.stackName),
    });
    this.fanout = fanout;
    this.alarmTopic = addAlarmNotifications(this, fanout, props.alarmNotifications ?? {});

    const outputs: Record<StackOutputId, { value: string; description: string }> = {
      [STACK_OUTPUTS.apiUrl]: {
        // No trailing slash: clients append paths such as /v1/events.
        value: fanout.httpApi.apiEndpoint,
        description: 'Base URL of the webhook API',
      },
      [STACK_OUTPUTS.eventsTableName]: { value: fanout.eventsTable.tableName, description: 'Events table' },
      [STACK_OUTPUTS.subscriptionsTableName]: {
        value: fanout.subscriptionsTable.tableName,
        description: 'Subscriptions table',
      },
      [STACK_OUTPUTS.deliveriesTableName]: {
        value: fanout.deliveriesTable.tableName,
        description: 'Delivery log table',
      },
      [STACK_OUTPUTS.apiKeysTableName]: { value: fanout.apiKeysTable.tableName, description: 'API keys table' },
      [STACK_OUTPUTS.fanoutQueueUrl]: { value: fanout.fanoutQueue.queueUrl, description: 'Fan-out queue' },
      [STACK_OUTPUTS.fanoutDeadLetterQueueUrl]: {
        value: fanout.fanoutDeadLetterQueue.queueUrl,
        description: 'Fan-out dead-letter queue: any message here is an incident',
      },
      [STACK_OUTPUTS.deliveryQueueUrl]: { value: fanout.deliveryQueue.queueUrl, description: 'Delivery queue' },
      [STACK_OUTPUTS.deliveryDeadLetterQueueUrl]: {
        value: fanout.deliveryDeadLetterQueue.queueUrl,
        description: 'Delivery dead-letter queue: any message here is an incident',
      },
    };
    for (const [outputId, output] of Object.entries(outputs)) new CfnOutput(this, outputId, output);
  }
}
