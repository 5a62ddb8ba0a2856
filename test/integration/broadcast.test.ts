import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConsumerReader } from '../../lambdas/aws/dynamo-consumer-store';
import { DynamoEventStore } from '../../lambdas/aws/dynamo-event-store';
import { DynamoSubscriptionReader } from '../../lambdas/aws/dynamo-subscription-store';
import { SqsPublisher } from '../../lambdas/aws/sqs-publisher';
import { fanoutMessageSchema, parseMessage, type FanoutMessage } from '../../lambdas/core/messages';
import { fanOut } from '../../lambdas/fanout/fan-out';
import { localClients } from '../support/emulators';
import { LOCAL_DELIVERY, type Pipeline, startPipeline } from '../support/pipeline';
import { ReceiverPool, type Receiver } from '../support/receiver';

/** Broadcast events through the API and the local pipeline, to real receivers. */
describe('Broadcast', () => {
  let pipeline: Pipeline;
  const receivers = new ReceiverPool();

  beforeAll(async () => {
    pipeline = await startPipeline(LOCAL_DELIVERY);
  });

  afterAll(receivers.closeAll);

  const putConsumer = async (key: string, consumerId: string) => {
    const response = await pipeline.call('PUT', `/v1/consumers/${consumerId}`, { key, body: {} });
    expect([200, 201], response.text).toContain(response.status);
  };
  const subscribe = async (key: string, url: string, fields: Record<string, unknown> = {}): Promise<string> => {
    const response = await pipeline.call('POST', '/v1/subscriptions', { key, body: { url, eventTypes: ['*'], ...fields } });
    expect(response.status, response.text).toBe(201);
    return response.body.id as string;
  };
  const post = (key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    pipeline.call('POST', '/v1/events', { key, body: { type: 'order.created', data: { n: 1 }, ...body }, headers });
  const broadcast = async (key: string, body: Record<string, unknown> = {}) => {
    const response = await post(key, { broadcast: true, ...body });
    expect(response.status, response.text).toBe(202);
    return response.body as { id: string; broadcast?: boolean; matched?: unknown };
  };
  /** The receiver paths an event reached, each once per delivery. */
  const pathsOf = (receiver: Receiver, eventId: string): string[] =>
    receiver.requests.filter((request) => request.headers['webhook-id'] === eventId).map((request) => request.path).sort();
  const drainUntil = async (until: () => boolean) => {
    await pipeline.drain({ until });
    await pipeline.drain();
  };

  it("delivers a broadcast to the tenant's own and every consumer's matching subscriptions, and nothing of another tenant", async () => {
    // Prepare
    const key = await pipeline.createKey('broadcast-reach');
    const other = await pipeline.createKey('broadcast-other');
    const receiver = await receivers.start();
    for (const consumer of ['c1', 'c2', 'c3']) await putConsumer(key, consumer);
    await subscribe(key, `${receiver.url}/own`);
    await subscribe(key, `${receiver.url}/own-refunds`, { eventTypes: ['refund.*'] });
    await subscribe(key, `${receiver.url}/c1`, { consumerId: 'c1' });
    await subscribe(key, `${receiver.url}/c2`, { consumerId: 'c2', eventTypes: ['order.*'] });
    await subscribe(key, `${receiver.url}/c2-refunds`, { consumerId: 'c2', eventTypes: ['refund.*'] });
    await putConsumer(other, 'c1');
    await subscribe(other, `${receiver.url}/other-own`);
    await subscribe(other, `${receiver.url}/other-c1`, { consumerId: 'c1' });

    // Act
    const accepted = await broadcast(key);
    await drainUntil(() => pathsOf(receiver, accepted.id).length >= 3);
    const stored = await pipeline.call('GET', `/v1/events/${accepted.id}`, { key });

    // Assess
    expect(accepted.broadcast).toBe(true);
    expect(accepted.matched).toBeUndefined();
    expect(pathsOf(receiver, accepted.id)).toEqual(['/hook/c1', '/hook/c2', '/hook/own']);
    expect(receiver.requests).toHaveLength(3);
    expect(stored.body).toMatchObject({ id: accepted.id, broadcast: true, deliveries: { delivered: 1, complete: false } });
    expect(stored.body.consumerId).toBeUndefined();
  });

  it('lets filters on consumerId pick among the consumers a broadcast reaches', async () => {
    // Prepare
    const key = await pipeline.createKey('broadcast-filters');
    const receiver = await receivers.start();
    for (const consumer of ['c1', 'c2']) await putConsumer(key, consumer);
    const onlyC1 = { filter: { consumerId: ['c1'] } };
    await subscribe(key, `${receiver.url}/own`, onlyC1);
    await subscribe(key, `${receiver.url}/c1`, onlyC1);
    await subscribe(key, `${receiver.url}/c1-of-c1`, { consumerId: 'c1', ...onlyC1 });
    await subscribe(key, `${receiver.url}/c1-of-c2`, { consumerId: 'c2', ...onlyC1 });
    await subscribe(key, `${receiver.url}/any-consumer-of-c2`, { consumerId: 'c2', filter: { consumerId: [{ exists: true }] } });

    // Act
    const accepted = await broadcast(key);
    await drainUntil(() => pathsOf(receiver, accepted.id).length >= 2);

    // Assess
    expect(pathsOf(receiver, accepted.id)).toEqual(['/hook/any-consumer-of-c2', '/hook/c1-of-c1']);
  });

  it('broadcasts again on replay, and replays to one subscription of any owner only to it', async () => {
    // Prepare
    const key = await pipeline.createKey('broadcast-replay');
    const receiver = await receivers.start();
    for (const consumer of ['c1', 'c2']) await putConsumer(key, consumer);
    await subscribe(key, `${receiver.url}/own`);
    const c1 = await subscribe(key, `${receiver.url}/c1`, { consumerId: 'c1' });
    await subscribe(key, `${receiver.url}/c2`, { consumerId: 'c2' });
    const accepted = await broadcast(key);
    await drainUntil(() => pathsOf(receiver, accepted.id).length >= 3);

    // Act
    const replay = await pipeline.call('POST', `/v1/events/${accepted.id}/replay`, { key });
    await drainUntil(() => pathsOf(receiver, accepted.id).length >= 6);
    const toOne = await pipeline.call('POST', `/v1/events/${accepted.id}/replay`, { key, body: { subscriptionId: c1 } });
    await drainUntil(() => pathsOf(receiver, accepted.id).length >= 7);
    const unknown = await pipeline.call('POST', `/v1/events/${accepted.id}/replay`, { key, body: { subscriptionId: 'sub_01JNP7YV0A4H6T8W2E5R7Y9QZB' } });

    // Assess
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ eventId: accepted.id, broadcast: true });
    expect(toOne.status).toBe(202);
    expect(toOne.body).toEqual({ eventId: accepted.id, replayId: expect.any(String), subscriptionId: c1 });
    expect(pathsOf(receiver, accepted.id)).toEqual(['/hook/c1', '/hook/c1', '/hook/c1', '/hook/c2', '/hook/c2', '/hook/own', '/hook/own']);
    expect(unknown.status).toBe(404);
  });

  it('answers 422 broadcast_conflict naming the field for a broadcast with consumerId or subscriptionId, and 422 validation_failed for a broadcast that is not a boolean', async () => {
    // Prepare
    const key = await pipeline.createKey('broadcast-422');

    // Act
    const withConsumer = await post(key, { broadcast: true, consumerId: 'c1' });
    const withSubscription = await post(key, { broadcast: true, subscriptionId: 'sub_01JNP7YV0A4H6T8W2E5R7Y9QZB' });
    const notBoolean = await post(key, { broadcast: 'yes' });
    const notBroadcast = await post(key, { broadcast: false, consumerId: 'c1' });

    // Assess
    expect([withConsumer.status, withConsumer.body.error.code]).toEqual([422, 'broadcast_conflict']);
    expect(withConsumer.body.error.message).toContain('consumerId');
    expect([withSubscription.status, withSubscription.body.error.code]).toEqual([422, 'broadcast_conflict']);
    expect(withSubscription.body.error.message).toContain('subscriptionId');
    expect([notBoolean.status, notBoolean.body.error.code]).toEqual([422, 'validation_failed']);
    expect(notBoolean.body.error.message).toContain('broadcast');
    expect(notBroadcast.status).toBe(202);
  });

  it('counts broadcast in the idempotency check: the same key with and without it is a 409, a repeat of a broadcast answers it again', async () => {
    // Prepare
    const key = await pipeline.createKey('broadcast-idempotency');
    const headers = { 'idempotency-key': 'broadcast-1' };
    const first = await post(key, { broadcast: true }, headers);

    // Act
    const repeat = await post(key, { broadcast: true }, headers);
    const withoutBroadcast = await post(key, {}, headers);
    const plainFirst = await post(key, {}, { 'idempotency-key': 'plain-1' });
    const asBroadcast = await post(key, { broadcast: true }, { 'idempotency-key': 'plain-1' });

    // Assess
    expect(first.status).toBe(202);
    expect(repeat.status).toBe(202);
    expect(repeat.body).toEqual({ id: first.body.id, type: 'order.created', createdAt: first.body.createdAt, broadcast: true });
    expect([withoutBroadcast.status, withoutBroadcast.body.error.code]).toEqual([409, 'idempotency_conflict']);
    expect(plainFirst.status).toBe(202);
    expect([asBroadcast.status, asBroadcast.body.error.code]).toEqual([409, 'idempotency_conflict']);
  });

  it('reaches every consumer when they span more pages than one invocation reads, continuing from the consumer cursor', async () => {
    // Prepare: seven consumers, one subscription each; a fan-out that reads two consumers a page, two pages an invocation.
    const key = await pipeline.createKey('broadcast-pages');
    const receiver = await receivers.start();
    const consumers = Array.from({ length: 7 }, (_, i) => `c${i}`);
    for (const consumer of consumers) {
      await putConsumer(key, consumer);
      await subscribe(key, `${receiver.url}/${consumer}`, { consumerId: consumer });
    }
    await subscribe(key, `${receiver.url}/own`);
    const accepted = await broadcast(key);
    const message = await takeBroadcastMessage(pipeline, accepted.id);
    const { sqs, dynamo } = localClients();
    const publisher = new SqsPublisher(sqs, { fanoutQueueUrl: pipeline.queueUrl('fanout'), deliveryQueueUrl: pipeline.queueUrl('delivery') });
    const smallPages = {
      subscriptions: new DynamoSubscriptionReader(dynamo, pipeline.env.SUBSCRIPTIONS_TABLE!),
      consumers: new DynamoConsumerReader(dynamo, pipeline.env.SUBSCRIPTIONS_TABLE!),
      events: new DynamoEventStore(dynamo, pipeline.env.EVENTS_TABLE!),
      deliveries: publisher,
      fanout: publisher,
      pageSize: 2,
      maxPagesPerInvocation: 2,
      now: Date.now,
    };

    // Act: the first invocation with small pages; its continuation and the consumers' messages through the pipeline.
    const first = await fanOut(message, smallPages);
    const continuation = await takeBroadcastMessage(pipeline, accepted.id);
    const second = await fanOut(continuation, smallPages);
    await drainUntil(() => pathsOf(receiver, accepted.id).length >= 8);

    // Assess
    expect(message.consumerCursor).toBeUndefined();
    expect(first).toEqual({ status: 'continued', deliveries: 1, consumers: 4, consumerCursor: expect.any(String) });
    expect(continuation).toMatchObject({ broadcast: true, consumerCursor: 'consumerCursor' in first ? first.consumerCursor : '' });
    expect(second).toEqual({ status: 'done', deliveries: 0, consumers: 3 });
    expect(pathsOf(receiver, accepted.id)).toEqual([...consumers.map((c) => `/hook/${c}`), '/hook/own'].sort());
  });
});

/**
 * The next broadcast message of an event on the fan-out queue (the first, or a continuation), taken
 * off it; other messages received meanwhile are back on the queue within a second, for the pipeline.
 */
const takeBroadcastMessage = async (pipeline: Pipeline, eventId: string): Promise<FanoutMessage> => {
  const { sqs } = localClients();
  const queueUrl = pipeline.queueUrl('fanout');
  for (let round = 0; round < 20; round++) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 1 }));
    for (const received of Messages) {
      const message = parseMessage(fanoutMessageSchema, received.Body!);
      if (message.eventId === eventId && message.broadcast) {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: received.ReceiptHandle! }));
        return message;
      }
    }
  }
  throw new Error(`no broadcast message of ${eventId} on the fan-out queue`);
};
