import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { awsRequests } from '../../lambdas/aws/request-counter';
import { ReceiverPool } from '../support/receiver';
import { startPipeline, type Pipeline } from '../support/pipeline';

const EVENTS = 20;
const FAN_OUT = 15;
/**
 * Keys are cached by the HTTP functions and the deployment's checksum settings by ingest and
 * delivery (at most one read a minute each), so reads do not grow with events: at most the key's
 * record and the checksum settings read by ingest and by delivery. Delivery's reads of
 * subscriptions are counted apart.
 */
const COLD_READS = 3;
/** Group messages carry their subscriptions sealed (by ingest or by fan-out): delivery reads none, cold or not. */
const expectNoSubscriptionReads = (counts: Record<string, number>) => {
  expect(counts['DynamoDB.BatchGetItem']).toBeUndefined();
  expect(counts['DynamoDB.GetItem'] ?? 0).toBeLessThanOrEqual(COLD_READS);
};

/**
 * What the delivery log and the rest of the pipeline cost, counted on the wire by the SDK middleware
 * every function client carries: the figures docs/delivery-semantics.md turns into a price. Ingest
 * fans out tenants of up to INLINE_FANOUT_LIMIT subscriptions itself (5 here); larger sets go
 * through the fan-out queue.
 */
describe('AWS requests per event, the happy path', () => {
  let pipeline: Pipeline;
  const receivers = new ReceiverPool();

  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);

  beforeAll(async () => {
    process.on('warning', onWarning);
    pipeline = await startPipeline({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8', INLINE_FANOUT_LIMIT: '5' });
  });

  afterAll(async () => {
    process.off('warning', onWarning);
    await receivers.closeAll();
  });

  /**
   * Subscribes `fanOut` endpoints of one receiver (the tenant's own, or, given a consumer, that
   * consumer's, beside `others` consumers with `fanOut` subscriptions each), publishes EVENTS events
   * (to the consumer, if given), delivers them all, and counts.
   */
  const countRequests = async (tenant: string, fanOut: number, consumer?: { id: string; others: number }): Promise<Record<string, number>> => {
    const key = await pipeline.createKey(tenant);
    const target = await receivers.start();
    const elsewhere = await receivers.start();
    const subscribe = async (url: string, consumerId?: string) => {
      const response = await pipeline.call('POST', '/v1/subscriptions', { key, body: { url, eventTypes: ['metered'], ...(consumerId ? { consumerId } : {}) } });
      expect(response.status, response.text).toBe(201);
    };
    for (let c = 0; c < (consumer?.others ?? 0); c++) {
      await pipeline.call('PUT', `/v1/consumers/other-${c}`, { key, body: {} });
      for (let i = 0; i < fanOut; i++) await subscribe(`${elsewhere.url}?c=${c}&s=${i}`, `other-${c}`);
    }
    if (consumer !== undefined) await pipeline.call('PUT', `/v1/consumers/${consumer.id}`, { key, body: {} });
    for (let i = 0; i < fanOut; i++) await subscribe(`${target.url}?s=${i}`, consumer?.id);
    await pipeline.call('GET', '/v1/subscriptions', { key });
    awsRequests.reset();
    for (let i = 0; i < EVENTS; i++) {
      const response = await pipeline.call('POST', '/v1/events', { key, body: { type: 'metered', data: { i }, ...(consumer ? { consumerId: consumer.id } : {}) } });
      expect(response.status, response.text).toBe(202);
    }
    await pipeline.drain({ until: () => target.requests.length >= EVENTS * fanOut, timeoutMs: 30_000 });
    await pipeline.drain();
    expect(target.requests).toHaveLength(EVENTS * fanOut);
    expect(elsewhere.requests).toHaveLength(0);
    return awsRequests.snapshot();
  };

  /** The counts but cold subscription reads, which depend on what delivery has cached, not on the event. */
  const withoutColdReads = ({ 'DynamoDB.GetItem': _reads, 'DynamoDB.BatchGetItem': _batchReads, ...counts }: Record<string, number>) => counts;

  it("costs an event published to a consumer the requests of a tenant's event, however many other consumers there are", async () => {
    // Act
    const tenantEvents = await countRequests('tenant-events', 3);
    const consumerEvents = await countRequests('consumer-events', 3, { id: 'acme', others: 3 });

    // Assess
    expect(withoutColdReads(consumerEvents)).toEqual(withoutColdReads(tenantEvents));
    expect(consumerEvents['DynamoDB.Query']).toBe(EVENTS);
    expectNoSubscriptionReads(tenantEvents);
    expectNoSubscriptionReads(consumerEvents);
  });

  it('fans a small set out at ingest: one event write, one subscription query, one batch send and one delivery-log write per event, and no subscription read by delivery', async () => {
    // Act
    const counts = await countRequests('small', 3);

    // Assess
    expect(counts['SQS.SendMessage']).toBeUndefined();
    expect(counts['SQS.SendMessageBatch']).toBe(EVENTS);
    expect(counts['DynamoDB.Query']).toBe(EVENTS);
    // The three deliveries of an event ride in one group message and are logged in one group write.
    expect(counts['DynamoDB.PutItem']).toBe(EVENTS);
    expect(counts['DynamoDB.UpdateItem']).toBe(EVENTS);
    expectNoSubscriptionReads(counts);
    expect(counts['SQS.ChangeMessageVisibility']).toBeUndefined();
  });

  it('hands a larger set to the fan-out queue: one write and one send per event at ingest, one group message and one log write per ten deliveries, and no subscription read by delivery', async () => {
    // Act
    const counts = await countRequests('counts', FAN_OUT);

    // Assess
    expect(counts['SQS.SendMessage']).toBe(EVENTS);
    // Fifteen deliveries are two group messages: one batch call per event.
    expect(counts['SQS.SendMessageBatch']).toBe(EVENTS);
    // Fan-out queries once per event; ingest once, then remembers the tenant is too large for it.
    expect(counts['DynamoDB.Query']).toBe(EVENTS + 1);
    // One event write per event, one group-log write per ten deliveries: nothing else writes.
    expect(counts['DynamoDB.PutItem']).toBe(EVENTS);
    expect(counts['DynamoDB.UpdateItem']).toBe(EVENTS * Math.ceil(FAN_OUT / 10));
    expectNoSubscriptionReads(counts);
    expect(counts['SQS.ChangeMessageVisibility']).toBeUndefined();
    // Fifteen deliveries in flight on one invocation's abort signal are not a listener leak.
    expect(warnings.filter((warning) => warning.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });
});
