import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { awsRequests } from '../../lambdas/aws/request-counter';
import { ReceiverPool } from '../support/receiver';
import { startPipeline, type Pipeline } from '../support/pipeline';

const EVENTS = 20;
const FAN_OUT = 10;

/**
 * What the delivery log and the rest of the pipeline cost, counted on the wire by the SDK middleware
 * every function client carries: the figures docs/delivery-semantics.md turns into a price.
 */
describe('AWS requests per event at fan-out 10, the happy path', () => {
  let pipeline: Pipeline;
  let key: string;
  const receivers = new ReceiverPool();

  beforeAll(async () => {
    pipeline = await startPipeline({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8' });
    key = await pipeline.createKey('counts');
  });

  afterAll(receivers.closeAll);

  it('makes one DynamoDB write and one SQS send per event at ingest, full batches at fan-out, and one write per delivery', async () => {
    // Prepare
    const target = await receivers.start();
    for (let i = 0; i < FAN_OUT; i++) {
      await pipeline.call('POST', '/v1/subscriptions', { key, body: { url: `${target.url}?s=${i}`, eventTypes: ['metered'] } });
    }
    await pipeline.call('GET', '/v1/subscriptions', { key });
    awsRequests.reset();

    // Act
    for (let i = 0; i < EVENTS; i++) await pipeline.call('POST', '/v1/events', { key, body: { type: 'metered', data: { i } } });
    await pipeline.drain({ until: () => target.requests.length >= EVENTS * FAN_OUT, timeoutMs: 30_000 });
    await pipeline.drain();
    const counts = awsRequests.snapshot();

    // Assess
    expect(target.requests).toHaveLength(EVENTS * FAN_OUT);
    expect(counts['SQS.SendMessage']).toBe(EVENTS);
    expect(counts['SQS.SendMessageBatch']).toBe(EVENTS * Math.ceil(FAN_OUT / 10));
    expect(counts['DynamoDB.Query']).toBe(EVENTS);
    // One event write per event, one record write per delivery: nothing else writes.
    expect(counts['DynamoDB.PutItem']).toBe(EVENTS + EVENTS * FAN_OUT);
    expect(counts['DynamoDB.UpdateItem']).toBeUndefined();
    // Subscriptions are cached by delivery and keys by the HTTP functions: at most one read each here.
    expect(counts['DynamoDB.GetItem'] ?? 0).toBeLessThanOrEqual(FAN_OUT + 1);
    expect(counts['SQS.ChangeMessageVisibility']).toBeUndefined();
  });
});
