import type { Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/core/resource-env';
import { startRecordedPipeline, type SentCommand } from '../support/function-commands';
import { LOCAL_DELIVERY, type Pipeline } from '../support/pipeline';
import { Receiver, ReceiverPool } from '../support/receiver';

/**
 * A group message fanned out at ingest carries its subscriptions as ingest read them, sealed under
 * the deployment's key (docs/security.md): delivery's first attempts read no subscription, and the
 * queue never holds a signing secret or an endpoint's URL in the clear.
 */
describe('Sealed subscriptions in group messages', () => {
  let pipeline: Pipeline;
  let sent: SentCommand[];
  const receivers = new ReceiverPool();

  beforeAll(async () => {
    ({ pipeline, sent } = await startRecordedPipeline(LOCAL_DELIVERY));
  });

  afterAll(receivers.closeAll);

  /** Three subscriptions of one tenant on one receiver, one event to them, and its group message taken off the queue. */
  const publishOneGroup = async (tenant: string) => {
    const key = await pipeline.createKey(tenant);
    const receiver = await receivers.start();
    const subscriptions = [];
    for (let i = 0; i < 3; i++) {
      subscriptions.push(await pipeline.call('POST', '/v1/subscriptions', { key, body: { url: `${receiver.url}?s=${i}`, eventTypes: ['order.*'], headers: { 'x-endpoint': `e${i}` } } }));
    }
    const event = await pipeline.publish(key, 'order.created', { orderId: 7 });
    const [message] = await pipeline.receiveDeliveries(1);
    return { receiver, subscriptions: subscriptions.map((response) => response.body as { id: string; secret: string; url: string }), event, message: message! };
  };

  /** The delivery function's reads of the subscriptions table while `act` ran. */
  const subscriptionReadsDuring = async (act: () => Promise<unknown>): Promise<string[]> => {
    const from = sent.length;
    await act();
    const table = pipeline.env[ENV.subscriptionsTable]!;
    return sent
      .slice(from)
      .filter((command) => command.input.TableName === table || (command.input.RequestItems as Record<string, unknown> | undefined)?.[table] !== undefined)
      .filter((command) => command.name !== 'UpdateItem')
      .map((command) => command.name);
  };

  it('lets delivery sign and send every request of a group without reading a subscription, while the queue holds no secret, URL or header', async () => {
    // Prepare
    const { receiver, subscriptions, event, message } = await publishOneGroup('sealed-group');

    // Act
    const reads = await subscriptionReadsDuring(() => pipeline.invokeDelivery([message], 60_000));

    // Assess
    const body = message.Body!;
    expect(JSON.parse(body)).toMatchObject({ eventId: event.id, sealed: expect.any(String) });
    for (const subscription of subscriptions) {
      expect(body).not.toContain(subscription.secret);
      expect(body).not.toContain(subscription.secret.replace(/^whsec_/, ''));
      expect(body).not.toContain(subscription.url);
    }
    expect(body).not.toContain('x-endpoint');
    expect(reads).toEqual([]);
    expect(receiver.requests).toHaveLength(3);
    for (const request of receiver.requests) {
      const subscription = subscriptions.find((s) => s.url.endsWith(request.path.slice(request.path.indexOf('?'))))!;
      expect(Receiver.verify(request, subscription.secret)).toMatchObject({ type: 'order.created', data: { orderId: 7 } });
      expect(request.headers['x-endpoint']).toBe(`e${subscription.url.slice(-1)}`);
    }
  });

  it('reads the subscriptions, in one batch, when the seal does not open (a changed byte), and delivers the same', async () => {
    // Prepare
    const { receiver, subscriptions, message } = await publishOneGroup('changed-seal');
    const parsed = JSON.parse(message.Body!) as { sealed: string };
    const flipped = parsed.sealed.slice(0, 40) + (parsed.sealed[40] === 'A' ? 'B' : 'A') + parsed.sealed.slice(41);
    const changed: Message = { ...message, Body: JSON.stringify({ ...parsed, sealed: flipped }) };

    // Act
    const reads = await subscriptionReadsDuring(() => pipeline.invokeDelivery([changed], 60_000));

    // Assess
    expect(reads).toEqual(['BatchGetItem']);
    expect(receiver.requests).toHaveLength(3);
    for (const request of receiver.requests) {
      const subscription = subscriptions.find((s) => s.url.endsWith(request.path.slice(request.path.indexOf('?'))))!;
      expect(Receiver.verify(request, subscription.secret)).toMatchObject({ type: 'order.created' });
    }
  });
});
