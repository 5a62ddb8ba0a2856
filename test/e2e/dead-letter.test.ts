import {
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from '../support/receiver';
import { call, startRuntime, waitFor, waitForResponse, type StartedRuntime } from './local-runtime-process';

/**
 * Poison messages through the local runtime: a message the delivery function cannot parse goes to
 * the delivery dead-letter queue at once, and does not hold up the good ones. The queues are
 * reached directly, at the SQS endpoint the runtime names on stderr; everything else is HTTP.
 */
describe('Local runtime (npm start): malformed delivery messages end in the dead-letter queue', () => {
  let runtime: StartedRuntime;
  let sqs: SQSClient;
  let deliveryQueueUrl: string;
  let deliveryDlqUrl: string;
  const receivers: Receiver[] = [];

  const api = (method: string, path: string, body?: unknown) =>
    call(runtime.baseUrl, method, path, { key: runtime.apiKey, ...(body === undefined ? {} : { body }) });

  const queueUrl = (urls: string[], test: (name: string) => boolean, what: string): string => {
    const found = urls.filter((url) => test(url.split('/').at(-1)!));
    expect(found, `exactly one ${what} among ${urls.join(', ')}`).toHaveLength(1);
    return found[0]!;
  };

  const messagesOnQueue = async (url: string): Promise<number> => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? NaN) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? NaN);
  };

  beforeAll(async () => {
    runtime = await startRuntime();
    sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: runtime.sqsEndpoint,
      credentials: { accessKeyId: 'e2e', secretAccessKey: 'e2e' },
      useQueueUrlAsEndpoint: false,
    });
    const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({}));
    deliveryQueueUrl = queueUrl(QueueUrls, (name) => name.startsWith('local-') && name.includes('DeliveryQueue'), 'delivery queue');
    deliveryDlqUrl = queueUrl(QueueUrls, (name) => name.startsWith('local-') && name.includes('DeliveryDeadLetterQueue'), 'delivery DLQ');
  });

  afterAll(async () => {
    sqs?.destroy();
    await Promise.all(receivers.map((r) => r.close()));
    if (runtime === undefined) return; // it did not start: beforeAll has failed the file already
    const exit = await runtime.process.stop();
    expect(exit, runtime.process.describe()).toEqual({ code: 0, signal: null, forced: false });
  });

  it('moves messages that are not JSON or break the schema to the DLQ, delivers a good event, and drains the delivery queue', async () => {
    // Prepare
    const target = await Receiver.start();
    receivers.push(target);
    const subscribed = await api('POST', '/v1/subscriptions', { url: target.url, eventTypes: ['order.created'] });
    expect(subscribed.status, subscribed.text).toBe(201);
    const poison = ['not json', '{"v":1}'];

    // Act
    for (const body of poison) {
      await sqs.send(new SendMessageCommand({ QueueUrl: deliveryQueueUrl, MessageBody: body }));
    }
    const published = await api('POST', '/v1/events', { type: 'order.created', data: { orderId: 7 } });
    expect(published.status, published.text).toBe(202);
    await waitFor(() => target.requests.length >= 1, { description: 'the POST of the good event' });
    const dead = new Map<string, Message>();
    await waitFor(
      async () => {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: deliveryDlqUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
          }),
        );
        for (const message of Messages) dead.set(message.MessageId!, message);
        return dead.size >= poison.length;
      },
      { description: () => `both malformed messages in the DLQ; found ${JSON.stringify([...dead.values()].map((m) => m.Body))}` },
    );
    await waitFor(async () => (await messagesOnQueue(deliveryQueueUrl)) === 0, {
      description: 'the delivery queue to drain',
    });
    const deliveries = await waitForResponse(
      () => api('GET', `/v1/events/${published.body.id}/deliveries`),
      (response) => response.status === 200 && response.body.items[0]?.status === 'delivered',
      { description: 'the delivered record of the good event' },
    );

    // Assess
    expect([...dead.values()].map((message) => message.Body).sort()).toEqual([...poison].sort());
    // Each with its own reason.
    const reasonOf = (body: string) => [...dead.values()].find((message) => message.Body === body)?.MessageAttributes?.reason?.StringValue;
    expect(reasonOf('not json')).toMatch(/not JSON/);
    expect(reasonOf('{"v":1}')).toMatch(/does not match the schema/);
    expect(target.requests).toHaveLength(1);
    expect(target.requests[0]!.headers['webhook-id']).toBe(published.body.id);
    expect(deliveries.body.items).toHaveLength(1);
    expect(await messagesOnQueue(deliveryQueueUrl)).toBe(0);
    expect(runtime.process.stdout.match(/malformed .*dead-letter queue/g)).toHaveLength(poison.length);
  });
});
