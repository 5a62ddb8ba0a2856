import {
  SendMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsEventSource } from '../../local/sqs-event-source';
import { localClients, localEndpoints } from '../support/emulators';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { startPipeline, type Pipeline } from '../support/pipeline';
import { ReceiverPool } from '../support/receiver';
import {
  formatReport,
  readDeliveryLog,
  reconcile,
  requestsFor,
  settle,
  type DeliveryLog,
  type ReconcileReport,
  type TrackedSubscription,
} from '../support/reconcile';
import { queueDepth, receiveAll } from '../support/queues';

/**
 * The platform fails, the receivers are healthy (plus one always-500 receiver, so retries and
 * exhaustion stay in play). Only the functions see the faults: their SDK clients reach SQS and
 * DynamoDB through fault proxies (test/support/fault-proxy.ts) that break about one call in ten on
 * a seeded schedule (500 InternalServerError, 400 ThrottlingException, connection reset before the
 * call, or the call applied and its answer lost), some on every attempt so the SDK's own retries
 * give up. The harness polls, deletes and inspects through the emulators directly. On top of that,
 * the delivery function "crashes" in the middle of some batches, and poison messages sit on both
 * queues. Then everything is reconciled: nothing lost, nothing invented, duplicates only ever
 * repeats of the same webhook-id, only the poison in the dead-letter queues, queues empty.
 */

const EVENT_COUNT = 20;
const TYPE = 'invoice.paid';
const HEALTHY = ['billing', 'ledger', 'mailer'] as const;
/** Every CRASH_EVERY-th delivery invocation dies after handling the first half of its batch. */
const CRASH_EVERY = 5;
/**
 * The deployed visibility timeout is six times the function timeout (fan-out 30 min, delivery
 * 3 min): a message of a failed invocation would not come back within the test. 2 s makes it
 * come back at once, and also makes a slow invocation's messages reappear while it still runs
 * (one more source of duplicate receipts the pipeline must absorb).
 */
const TEST_VISIBILITY_TIMEOUT_SECONDS = 2;

const POISON = {
  fanout: ['{not json', JSON.stringify({ v: 2, tenantId: 'faults-platform', eventId: 'evt_poison', eventType: TYPE, createdAt: new Date(0).toISOString(), run: 'evt_poison', hasData: true, data: {} })],
  delivery: [
    'definitely not json',
    JSON.stringify({ v: 2, tenantId: 'faults-platform', eventId: 'evt_poison', eventType: TYPE, createdAt: new Date(0).toISOString(), run: 'evt_poison', hasData: true, data: {}, subscriptionId: 'sub_poison', subscriptionVersion: 1 }),
  ],
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

describe('Delivery under platform faults: SQS and DynamoDB errors, crashes mid-batch, poison messages', () => {
  let pipeline: Pipeline;
  let key: string;
  let sqsProxy: FaultProxy;
  let dynamoProxy: FaultProxy;
  let delivery: SqsEventSource;
  const pool = new ReceiverPool();
  const subscriptions: TrackedSubscription[] = [];
  const eventIds: string[] = [];
  const ingest = { serverErrors: 0, inProgress: 0, attempts: 0 };
  const crashes = { invocations: 0, crashed: 0 };
  const deadLetters = { fanout: [] as string[], delivery: [] as string[] };
  const queueDepths: Record<string, number> = {};
  let log: DeliveryLog;
  let report: ReconcileReport;

  const { sqs } = localClients();

  const depthOf = (queueUrl: string): Promise<number> => queueDepth(sqs, queueUrl);

  /**
   * A well-behaved client: the same Idempotency-Key until 202; a 5xx is retried after a short
   * pause, a 409 request_in_progress after its Retry-After.
   */
  const publishUntilAccepted = async (index: number): Promise<string> => {
    const headers = { 'idempotency-key': `invoice-${index}-paid` };
    const body = { type: TYPE, data: { invoice: index, amount: 100 + index } };
    for (let attempt = 1; attempt <= 40; attempt++) {
      ingest.attempts += 1;
      const response = await pipeline.call('POST', '/v1/events', { key, body, headers });
      if (response.status === 202) return response.body.id as string;
      if (response.status >= 500) {
        ingest.serverErrors += 1;
        await sleep(Math.min(1_000, 100 * attempt));
      } else if (response.status === 409 && response.body.error.code === 'request_in_progress') {
        ingest.inProgress += 1;
        await sleep(Number(response.headers['retry-after'] ?? 1) * 1000);
      } else {
        throw new Error(`ingest answered ${response.status} ${JSON.stringify(response.body)}`);
      }
    }
    throw new Error(`event ${index} not accepted after 40 attempts`);
  };

  beforeAll(async () => {
    // Prepare
    const { sqsEndpoint, dynamoEndpoint } = localEndpoints();
    sqsProxy = await startFaultProxy({ target: sqsEndpoint, name: 'sqs', seed: 0x5eed_0001 });
    dynamoProxy = await startFaultProxy({ target: dynamoEndpoint, name: 'dynamodb', seed: 0x5eed_0002 });
    pipeline = await startPipeline({
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
      WEBHOOK_RETRY_SCHEDULE: '1,1',
      WEBHOOK_TIMEOUT_MS: '2000',
      // Every injected fault makes a handler log an error; the output stays readable unless asked for.
      POWERTOOLS_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'SILENT',
      // Only the functions' own clients go through the proxies; the harness keeps the direct endpoints.
      AWS_ENDPOINT_URL_SQS: sqsProxy.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.url,
    });
    key = await pipeline.createKey('faults-platform');
    for (const name of HEALTHY) {
      const receiver = await pool.start();
      const created = await pipeline.call('POST', '/v1/subscriptions', { key, body: { url: receiver.url, eventTypes: [TYPE] } });
      expect(created.status).toBe(201);
      subscriptions.push({ name, id: created.body.id, secret: created.body.secret, requests: receiver.requests });
    }
    const failing = await pool.start(() => ({ status: 500 }));
    const created = await pipeline.call('POST', '/v1/subscriptions', { key, body: { url: failing.url, eventTypes: [TYPE] } });
    expect(created.status).toBe(201);
    subscriptions.push({ name: 'always-500', id: created.body.id, secret: created.body.secret, requests: failing.requests });

    for (const queue of ['fanout', 'delivery'] as const) {
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: pipeline.queueUrl(queue),
          Attributes: { VisibilityTimeout: String(TEST_VISIBILITY_TIMEOUT_SECONDS) },
        }),
      );
    }

    // The real delivery handler (the module the harness imported), behind a wrapper that makes every
    // CRASH_EVERY-th invocation die after handling the first half of its batch: the event source
    // then deletes nothing, as Lambda does for a failed invocation.
    const realDelivery = (await import('../../lambdas/delivery/handler')).handler as unknown as SqsHandler;
    const crashing: SqsHandler = async (event, context) => {
      crashes.invocations += 1;
      if (crashes.invocations % CRASH_EVERY !== 0) return realDelivery(event, context);
      crashes.crashed += 1;
      await realDelivery({ Records: event.Records.slice(0, Math.ceil(event.Records.length / 2)) }, context);
      throw new Error('injected crash: the invocation died in the middle of its batch');
    };
    const mapping = pipeline.resources.eventSources.find((source) => source.function.constructPath?.includes('DeliveryFunction'))!;
    const queue = pipeline.resources.queue(mapping.queueLogicalId);
    delivery = new SqsEventSource({
      sqs,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      handler: crashing,
      functionName: 'DeliveryFunction',
      timeoutMs: mapping.function.timeoutSeconds * 1000,
      batchSize: mapping.batchSize,
      maxBatchingWindowSeconds: mapping.maximumBatchingWindowSeconds,
      reportBatchItemFailures: mapping.reportBatchItemFailures,
      maxConcurrency: 4,
      waitTimeSeconds: 1,
    });

    for (const body of POISON.fanout) await sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrl('fanout'), MessageBody: body }));
    for (const body of POISON.delivery) await sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrl('delivery'), MessageBody: body }));

    // Aimed faults, so that ingest certainly fails both ways whatever the random schedule does:
    // an idempotency claim that never gets written (500 on every attempt: the SDK gives up, ingest
    // answers 500), and a hand-over to fan-out that SQS accepted but whose answer was lost, its
    // retries failing (ingest answers 500 although the event is on its way; the client's repeat is
    // told to wait, then hands the event over again: fan-out runs twice for it).
    const claimFailed = dynamoProxy.injectNext((operation, body) => operation.endsWith('.PutItem') && body.includes('#idem#'), ['error'], {
      everyAttempt: true,
    });
    const handOverLost = sqsProxy.injectNext(
      (operation, body) => operation.endsWith('.SendMessage') && body.includes(`"QueueUrl":"${pipeline.queueUrl('fanout')}"`),
      ['lost', 'throttle', 'error'],
      { everyAttempt: true },
    );

    // Act
    const started = Date.now();
    sqsProxy.enabled = true;
    dynamoProxy.enabled = true;
    pipeline.fanout.start();
    delivery.start();
    eventIds.push(...(await Promise.all(Array.from({ length: EVENT_COUNT }, (_, i) => publishUntilAccepted(i)))));
    const publishedInMs = Date.now() - started;
    await Promise.all([claimFailed, handOverLost]);
    log = await settle({
      pump: () => sleep(500),
      read: () => readDeliveryLog(pipeline, key, eventIds),
      eventIds,
      subscriptions,
      timeoutMs: 60_000,
    });
    const settledInMs = Date.now() - started;
    // Late duplicates, deferred retries and operational events drain away; then the queues must be empty.
    const emptyBy = Date.now() + 20_000;
    for (;;) {
      queueDepths.fanout = await depthOf(pipeline.queueUrl('fanout'));
      queueDepths.delivery = await depthOf(pipeline.queueUrl('delivery'));
      if (queueDepths.fanout + queueDepths.delivery === 0 || Date.now() > emptyBy) break;
      await sleep(250);
    }
    await Promise.all([pipeline.fanout.stop(), delivery.stop()]);
    sqsProxy.enabled = false;
    dynamoProxy.enabled = false;

    log = await readDeliveryLog(pipeline, key, eventIds);
    report = reconcile(log, eventIds, subscriptions);
    deadLetters.fanout = await receiveAll(sqs, pipeline.queueUrl('fanoutDlq'));
    deadLetters.delivery = await receiveAll(sqs, pipeline.queueUrl('deliveryDlq'));
    console.info(
      [
        `faults-platform: ${EVENT_COUNT} events accepted in ${publishedInMs} ms, all settled in ${settledInMs} ms`,
        `ingest: ${ingest.attempts} requests for ${EVENT_COUNT} events, ${ingest.serverErrors} answered 5xx, ${ingest.inProgress} answered 409 request_in_progress`,
        `delivery invocations: ${crashes.invocations}, crashed mid-batch: ${crashes.crashed}`,
        `sqs proxy: ${JSON.stringify(sqsProxy.stats)}`,
        `dynamodb proxy: ${JSON.stringify(dynamoProxy.stats)}`,
        `duplicate sends (same webhook-id, no attempt recorded for them): ${report.duplicates}`,
        `dead letters: fan-out ${deadLetters.fanout.length}, delivery ${deadLetters.delivery.length}`,
        formatReport(report),
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await Promise.all([pipeline?.fanout.stop(), delivery?.stop()]);
    await pool.closeAll();
    await Promise.all([sqsProxy?.close(), dynamoProxy?.close()]);
  });

  it('injected the faults it claims: SQS and DynamoDB errors the SDK survived and ones it gave up on, crashes mid-batch, ingest 5xx', () => {
    // Assess
    for (const proxy of [sqsProxy, dynamoProxy]) {
      expect(proxy.stats.faultedCalls).toBeGreaterThan(0);
      expect(proxy.stats.exhaustedCalls).toBeGreaterThan(0);
    }
    expect(crashes.crashed).toBeGreaterThan(0);
    expect(ingest.serverErrors).toBeGreaterThanOrEqual(2);
    expect(ingest.inProgress).toBeGreaterThanOrEqual(1);
  });

  it('delivers every event to every healthy subscription with a verified signature and exhausts the failing one, losing none', () => {
    // Assess
    expect(report.problems).toEqual([]);
    for (const name of HEALTHY) expect(report.bySubscription[name]).toMatchObject({ delivered: EVENT_COUNT });
    expect(report.bySubscription['always-500']).toMatchObject({ exhausted: EVENT_COUNT });
    const failing = subscriptions.find((s) => s.name === 'always-500')!;
    for (const eventId of eventIds) {
      const record = log.get(eventId)!.get(failing.id)!;
      expect(record.attempts).toBe(3);
      expect(record.attemptLog.map((a) => a.statusCode)).toEqual([500, 500, 500]);
    }
  });

  it('accepts each Idempotency-Key once although ingest failed: one event id per key, each delivered once per subscription modulo same-id duplicates', () => {
    // Assess
    expect(new Set(eventIds).size).toBe(EVENT_COUNT);
    for (const subscription of subscriptions.filter((s) => s.name !== 'always-500')) {
      const ids = subscription.requests.map((r) => String(r.headers['webhook-id']));
      // Exactly the accepted events: no event invented by a failed ingest attempt, none missing.
      expect(new Set(ids), subscription.name).toEqual(new Set(eventIds));
      for (const eventId of eventIds) {
        const copies = requestsFor(subscription.requests, eventId);
        // Duplicates are the same message: same webhook-id, same signed body.
        expect(new Set(copies.map((r) => r.body)).size, `${subscription.name} ${eventId}`).toBe(1);
      }
    }
  });

  it('repeats only known webhook-ids: every duplicate is a repeat of an accepted event, counted', () => {
    // Prepare
    const known = new Set(eventIds);

    // Act
    const all = subscriptions.flatMap((s) => s.requests.map((r) => String(r.headers['webhook-id'])));
    const duplicates = subscriptions.reduce((sum, s) => sum + report.bySubscription[s.name]!.duplicates, 0);

    // Assess
    expect(all.filter((id) => !known.has(id))).toEqual([]);
    expect(duplicates).toBe(report.duplicates);
    console.info(`duplicates by subscription: ${subscriptions.map((s) => `${s.name} ${report.bySubscription[s.name]!.duplicates}`).join(', ')}`);
  });

  it('dead-letters the poison messages, and nothing else: no valid message ever reached a DLQ', () => {
    // Assess
    // A poison message may land twice when the answer to the DLQ send was lost and the SDK re-sent it.
    expect(new Set(deadLetters.fanout)).toEqual(new Set(POISON.fanout));
    expect(new Set(deadLetters.delivery)).toEqual(new Set(POISON.delivery));
  });

  it('leaves the fan-out and delivery queues empty', () => {
    // Assess
    expect(queueDepths).toEqual({ fanout: 0, delivery: 0 });
  });

  it('answers 202 at once when the answer to its own idempotency claim was lost and the SDK re-sent the write', async () => {
    // Prepare
    const lost = dynamoProxy.injectNext((operation, body) => operation.endsWith('.PutItem') && body.includes('#idem#'), ['lost']);
    const request = { key, body: { type: TYPE, data: { invoice: 'lost-claim' } }, headers: { 'idempotency-key': 'invoice-lost-claim' } };

    // Act
    const first = await pipeline.call('POST', '/v1/events', request);
    const repeat = await pipeline.call('POST', '/v1/events', request);

    // Assess
    expect(await lost).toBe('DynamoDB_20120810.PutItem');
    // The claim found on the SDK's retry is the one this request wrote: not another request in flight.
    expect(first.status).toBe(202);
    expect(repeat.status).toBe(202);
    expect(repeat.body.id).toBe(first.body.id);
  });
});
