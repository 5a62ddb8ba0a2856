export { WebhookFanout, WebhookFanoutPropsError } from './webhook-fanout';
export type { WebhookFanoutApiThrottle, WebhookFanoutLogLevel, WebhookFanoutProps, WebhookFanoutSystemLogLevel } from './webhook-fanout';
export { STACK_OUTPUTS, WebhookFanoutStack } from './webhook-fanout-stack';
export type { AlarmNotifications, StackOutputId, WebhookFanoutStackProps } from './webhook-fanout-stack';
