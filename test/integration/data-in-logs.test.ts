import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../support/capture-output';
import { localEndpoints } from '../support/emulators';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { startPipeline, type ApiResponse, type Pipeline } from '../support/pipeline';
import { ReceiverPool } from '../support/receiver';

/**
 * An event's data is the tenant's business: ingest stores it and hands it on, and never writes it
 * to its log, not even at the most verbose level and not when the request fails. Every line ingest
 * writes while handling requests that carry a marker in their data is captured; the marker must
 * not be in any of them.
 */
describe('Logs of ingest', () => {
  let pipeline: Pipeline;
  let sqsProxy: FaultProxy;
  let dynamoProxy: FaultProxy;
  const receivers = new ReceiverPool();

  beforeAll(async () => {
    const { sqsEndpoint, dynamoEndpoint } = localEndpoints();
    sqsProxy = await startFaultProxy({ target: sqsEndpoint, name: 'sqs', seed: 1 });
    dynamoProxy = await startFaultProxy({ target: dynamoEndpoint, name: 'dynamodb', seed: 2 });
    pipeline = await startPipeline({
      POWERTOOLS_LOG_LEVEL: 'TRACE',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
      // A tenant of one subscription is fanned out by ingest, a larger one through the fan-out queue.
      INLINE_FANOUT_LIMIT: '1',
      // The proxies forward every call but the ones a test aims a fault at.
      AWS_ENDPOINT_URL_SQS: sqsProxy.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.url,
    });
  });

  afterAll(async () => {
    await receivers.closeAll();
    await Promise.all([sqsProxy.close(), dynamoProxy.close()]);
  });

  it("never writes an event's data, at TRACE, whether the event is accepted, repeated, refused or fails", async () => {
    // Prepare
    const marker = `data-marker-${randomUUID()}`;
    const data = (label: string) => ({ note: marker, label });
    const receiver = await receivers.start();
    const small = await pipeline.createKey('data-in-logs-small');
    const large = await pipeline.createKey('data-in-logs-large');
    await pipeline.subscribe(small, receiver.url);
    await pipeline.subscribe(large, `${receiver.url}?s=1`);
    await pipeline.subscribe(large, `${receiver.url}?s=2`);
    const publish = (key: string, body: unknown, headers: Record<string, string> = {}) => pipeline.call('POST', '/v1/events', { key, body, headers });
    // The event's write, then the hand-over of another event, fail on every attempt: ingest answers 500.
    const writeFails = dynamoProxy.injectNext((operation, body) => operation.endsWith('.PutItem') && body.includes('event-write-fails'), ['error'], {
      everyAttempt: true,
    });
    const sendFails = sqsProxy.injectNext((operation, body) => operation.endsWith('.SendMessageBatch') && body.includes('hand-over-fails'), ['error'], {
      everyAttempt: true,
    });

    // Act
    const responses: ApiResponse[] = [];
    const output = captureOutput();
    try {
      responses.push(await publish(small, { type: 'order.created', data: data('fanned out by ingest') }));
      responses.push(await publish(large, { type: 'order.created', data: data('fanned out by the fan-out function') }));
      responses.push(await publish(small, { type: 'order.created', data: data('idempotent') }, { 'idempotency-key': 'logged-once' }));
      responses.push(await publish(small, { type: 'order.created', data: data('idempotent') }, { 'idempotency-key': 'logged-once' }));
      responses.push(await publish(small, { type: 'order.created', data: data('another body') }, { 'idempotency-key': 'logged-once' }));
      responses.push(await publish(small, { type: 'webhook.reserved', data: data('reserved type') }));
      responses.push(await publish(small, { type: 'not a type!', data: data('invalid type') }));
      responses.push(await publish(small, { type: 'order.created', data: { ...data('too large'), padding: 'x'.repeat(300 * 1024) } }));
      responses.push(await publish(small, `{"type":"order.created","data":{"note":"${marker}"`));
      responses.push(await publish(small, { type: 'order.created', data: data('event-write-fails') }));
      responses.push(await publish(small, { type: 'order.created', data: data('hand-over-fails') }));
    } finally {
      output.restore();
    }
    await Promise.all([writeFails, sendFails]);

    // Assess: every path was taken, and the capture holds ingest's lines, the failures' included
    expect(responses.map((response) => response.status)).toEqual([202, 202, 202, 202, 409, 422, 422, 413, 400, 500, 500]);
    const logs = output.text();
    expect(logs).toContain('"function":"ingest"');
    expect(logs).toContain('"message":"event accepted"');
    expect(logs).toContain('"message":"unhandled error"');
    expect(logs).not.toContain(marker);
  });
});
