import { describe, expect, it } from 'vitest';
import { deliveryMessagesFor, lazyFilterEnvelope } from '../../../lambdas/pipeline/fan-out-messages';
import { aFanoutMessage, aSubscription, TENANT } from '../../kit/builders';

const message = aFanoutMessage({ dataJson: '{"amount":250,"currency":"EUR"}' });
const payload = { dataJson: message.dataJson, hasData: true };
const subscriptionIds = (messages: ReturnType<typeof deliveryMessagesFor>) =>
  messages.flatMap((m) => ('subscriptions' in m ? m.subscriptions.map((s) => s.id) : [m.subscriptionId]));

describe('Function: deliveryMessagesFor', () => {
  it('keeps the subscriptions whose type and payload filter both match', () => {
    // Prepare
    const subscriptions = [
      aSubscription({ tenantId: TENANT, id: 'sub_a', filter: { data: { amount: [{ numeric: ['>=', 100] }] } } }),
      aSubscription({ tenantId: TENANT, id: 'sub_b', filter: { data: { currency: ['USD'] } } }),
      aSubscription({ tenantId: TENANT, id: 'sub_c', eventTypes: ['invoice.*'], filter: { data: { currency: ['EUR'] } } }),
      aSubscription({ tenantId: TENANT, id: 'sub_d' }),
    ];

    // Act
    const messages = deliveryMessagesFor(message, payload, subscriptions, lazyFilterEnvelope(message.eventType, payload.dataJson!));

    // Assess
    expect(subscriptionIds(messages)).toEqual(['sub_a', 'sub_d']);
  });

  it('never builds the envelope when no subscription has a filter', () => {
    // Prepare
    const plain = [aSubscription({ tenantId: TENANT, id: 'sub_a' })];

    // Act
    const messages = deliveryMessagesFor(message, payload, plain, () => {
      throw new Error('the data was parsed without a filter to match');
    });

    // Assess
    expect(subscriptionIds(messages)).toEqual(['sub_a']);
  });
});

describe('Function: lazyFilterEnvelope', () => {
  it('parses the data on first use only, and hands the same envelope to every later one', () => {
    // Prepare
    const envelope = lazyFilterEnvelope('order.created', '{"amount":12345678901234567890}');

    // Act
    const first = envelope();

    // Assess
    expect(first).toEqual({ type: 'order.created', data: { amount: 12345678901234567000 } });
    expect(envelope()).toBe(first);
  });
});
