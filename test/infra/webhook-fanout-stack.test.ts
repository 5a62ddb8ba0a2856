import { describe, expect, it } from 'vitest';
import { STACK_OUTPUTS, WebhookFanoutStack } from '../../lib/webhook-fanout-stack';
import { createTestApp, logicalId, synthStack } from './synth';

describe('Stack: WebhookFanoutStack', () => {
  const { stack, fanout, template } = synthStack();
  const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;

  it('outputs exactly the ids the operator CLI looks up', () => {
    expect(Object.keys(outputs).sort()).toEqual(Object.values(STACK_OUTPUTS).sort());
    expect(STACK_OUTPUTS).toEqual({
      apiUrl: 'ApiUrl',
      eventsTableName: 'EventsTableName',
      subscriptionsTableName: 'SubscriptionsTableName',
      deliveriesTableName: 'DeliveriesTableName',
      apiKeysTableName: 'ApiKeysTableName',
      fanoutQueueUrl: 'FanoutQueueUrl',
      fanoutDeadLetterQueueUrl: 'FanoutDeadLetterQueueUrl',
      deliveryQueueUrl: 'DeliveryQueueUrl',
      deliveryDeadLetterQueueUrl: 'DeliveryDeadLetterQueueUrl',
    });
  });

  it('points each output at its resource', () => {
    const ref = (construct: Parameters<typeof logicalId>[1]): unknown => ({ Ref: logicalId(stack, construct) });

    expect(outputs[STACK_OUTPUTS.eventsTableName]?.Value).toEqual(ref(fanout.eventsTable));
    expect(outputs[STACK_OUTPUTS.subscriptionsTableName]?.Value).toEqual(ref(fanout.subscriptionsTable));
    expect(outputs[STACK_OUTPUTS.deliveriesTableName]?.Value).toEqual(ref(fanout.deliveriesTable));
    expect(outputs[STACK_OUTPUTS.apiKeysTableName]?.Value).toEqual(ref(fanout.apiKeysTable));
    expect(outputs[STACK_OUTPUTS.fanoutQueueUrl]?.Value).toEqual(ref(fanout.fanoutQueue));
    expect(outputs[STACK_OUTPUTS.fanoutDeadLetterQueueUrl]?.Value).toEqual(ref(fanout.fanoutDeadLetterQueue));
    expect(outputs[STACK_OUTPUTS.deliveryQueueUrl]?.Value).toEqual(ref(fanout.deliveryQueue));
    expect(outputs[STACK_OUTPUTS.deliveryDeadLetterQueueUrl]?.Value).toEqual(ref(fanout.deliveryDeadLetterQueue));
    expect(outputs[STACK_OUTPUTS.apiUrl]?.Value).toEqual({
      'Fn::GetAtt': [logicalId(stack, fanout.httpApi), 'ApiEndpoint'],
    });
  });

  it('is environment-agnostic', () => {
    expect(stack.environment).toBe('aws://unknown-account/unknown-region');
    expect(JSON.stringify(template.toJSON())).not.toMatch(/\b\d{12}\b|(us|eu|ap|sa|ca|me|af)-[a-z]+-\d/);
  });

  it('passes the construct props through', () => {
    const custom = new WebhookFanoutStack(createTestApp(), 'Custom', { fanout: { deliveryMaxConcurrency: 7 } });

    expect(() => new WebhookFanoutStack(createTestApp(), 'Bad', { fanout: { deliveryMaxConcurrency: 1 } })).toThrow(
      /deliveryMaxConcurrency is 1/,
    );
    expect(custom.fanout.node.id).toBe('WebhookFanout');
  });
});
