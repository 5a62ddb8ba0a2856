import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { ENV } from '../../lambdas/core/resource-env';
import { newId } from '../../lambdas/core/ids';
import { deliveryGroupMessage, type DeliveryGroupMessage } from '../../lambdas/core/messages';
import type { Subscription } from '../../lambdas/core/model';
import { webhookBody } from '../../lambdas/core/delivery-body';
import { lambdaContext } from '../../local/lambda/context';
import { installInMemoryAws } from './aws-stub';
import { BENCH_EVENT_TYPE, eventData } from './payload';
import { deliveryCore } from './delivery-core';
import {
  BODY_BYTES,
  CONCURRENCY,
  CONTENDERS,
  RECEIVER_URL_VARIABLE,
  REQUESTS_PER_RUN,
  RUNS,
  type Contender,
  type DeliveryWorkerResult,
  type RunFigures,
} from './delivery-settings';
import { runAsWorker } from './worker';
import { benchSubscription } from '../bench-subscription';

const WARM_UP_REQUESTS = 1_000;

const TENANT = 'bench';

/** CONCURRENCY subscriptions to the one receiver, in id order as fan-out reads and groups them. */
const subscriptionsFor = (url: string): Subscription[] =>
  Array.from({ length: CONCURRENCY }, (_, i) => benchSubscription(TENANT, `${url}?s=${i}`, BENCH_EVENT_TYPE)).sort((a, b) =>
    a.id < b.id ? -1 : 1,
  );

/** Event data (JSON text) sized so that the body every subscriber receives is exactly `BODY_BYTES`. */
const dataForBody = (createdAt: string): string => {
  const envelope = webhookBody({ eventType: BENCH_EVENT_TYPE, createdAt }, '{}').length - 2;
  const dataJson = JSON.stringify(eventData(BODY_BYTES - envelope));
  const body = webhookBody({ eventType: BENCH_EVENT_TYPE, createdAt }, dataJson);
  if (Buffer.byteLength(body) !== BODY_BYTES) throw new Error(`the webhook body is ${Buffer.byteLength(body)} bytes, not ${BODY_BYTES}`);
  return dataJson;
};

/** A first receive of a first run, as fan-out sends it and Lambda's SQS event source hands it over. */
const sqsRecord = (message: DeliveryGroupMessage): SQSRecord => {
  const now = String(Date.now());
  return {
    messageId: randomUUID(),
    receiptHandle: `receipt-${message.eventId}`,
    body: JSON.stringify(message),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'bench', ApproximateFirstReceiveTimestamp: now },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench-delivery',
    awsRegion: 'us-east-1',
  };
};

/** How the deliveries of a batch are shaped: one group of every subscription, or one group per subscription. */
type BatchShape = 'one group' | 'groups of one';

/**
 * `count` requests' worth of SQS events, built before the clock starts (Lambda builds them, not the
 * function). Each batch puts `CONCURRENCY` requests in flight: every delivery of a batch goes out
 * together, whether as one group message (an event at fan-out 10) or as `CONCURRENCY` messages of
 * one subscription each (events at fan-out 1). Every message is the first receive of a distinct event.
 */
const deliveryBatches = (subscriptions: readonly Subscription[], count: number, shape: BatchShape): Array<[SQSEvent, Context]> => {
  const createdAt = new Date().toISOString();
  const dataJson = dataForBody(createdAt);
  const groupOf = (members: readonly Subscription[]): DeliveryGroupMessage => {
    const eventId = newId('evt');
    return deliveryGroupMessage({ tenantId: TENANT, eventId, eventType: BENCH_EVENT_TYPE, createdAt, run: eventId }, { dataJson, hasData: true }, members);
  };
  const batches: Array<[SQSEvent, Context]> = [];
  for (let sent = 0; sent < count; sent += CONCURRENCY) {
    const members = subscriptions.slice(0, Math.min(CONCURRENCY, count - sent));
    const messages = shape === 'one group' ? [groupOf(members)] : members.map((member) => groupOf([member]));
    batches.push([{ Records: messages.map(sqsRecord) }, lambdaContext('delivery', 900_000)]);
  }
  return batches;
};

type DeliveryHandler = (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: unknown[] } | void>;

/** Requests per second and CPU per request of `count` requests made by `work`. */
const timed = async (count: number, work: () => Promise<unknown>): Promise<RunFigures> => {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { requestsPerSecond: count / seconds, cpuMicrosPerRequest: (cpu.user + cpu.system) / count };
};

/** One instance of a batch handler: one batch at a time, as Lambda invokes an execution environment. */
const batchHandlerRun = async (handler: DeliveryHandler, subscriptions: readonly Subscription[], count: number, shape: BatchShape): Promise<RunFigures> => {
  const batches = deliveryBatches(subscriptions, count, shape);
  return timed(count, async () => {
    for (const [event, context] of batches) {
      const response = await handler(event, context);
      if (response === undefined || response.batchItemFailures.length > 0) {
        throw new Error(`the delivery handler reported failures: ${JSON.stringify(response)}`);
      }
    }
  });
};

/** The reference: `CONCURRENCY` requests always in flight on one keep-alive agent, nothing else. */
const bareClientRun = async (agent: http.Agent, url: string, body: Buffer, count: number): Promise<RunFigures> => {
  let remaining = count;
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const request = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } });
      request.on('error', reject);
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`receiver answered ${response.statusCode}`))));
      });
      request.end(body);
    });
  const lane = async () => {
    while (remaining > 0) {
      remaining--;
      await post();
    }
  };
  return timed(count, () => Promise.all(Array.from({ length: CONCURRENCY }, lane)));
};

runAsWorker(async (): Promise<DeliveryWorkerResult> => {
  const receiverUrl = process.env[RECEIVER_URL_VARIABLE];
  if (receiverUrl === undefined) throw new Error(`${RECEIVER_URL_VARIABLE} is not set`);
  installInMemoryAws();
  const { handler } = await import('../../lambdas/delivery/handler');
  const { awsRequests } = await import('../../lambdas/aws/request-counter');
  const { createDynamoClient } = await import('../../lambdas/aws/clients');
  const { DynamoSubscriptionStore } = await import('../../lambdas/aws/dynamo-subscription-store');

  const subscriptions = subscriptionsFor(receiverUrl);
  const store = new DynamoSubscriptionStore(createDynamoClient(), process.env[ENV.subscriptionsTable]!);
  for (const subscription of subscriptions) await store.create(subscription);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const createdAt = new Date().toISOString();
  const body = Buffer.from(webhookBody({ eventType: BENCH_EVENT_TYPE, createdAt }, dataForBody(createdAt)));

  const core = deliveryCore(subscriptions);
  const calls: Record<string, number>[] = [];
  /** The handler's AWS calls of each shape, counted over its measured runs only. */
  const countingCalls = (shape: BatchShape, index: number) => async (count: number) => {
    const before = awsRequests.snapshot();
    const figures = await batchHandlerRun(handler, subscriptions, count, shape);
    const after = awsRequests.snapshot();
    for (const [name, total] of Object.entries(after)) calls[index]![name] = (calls[index]![name] ?? 0) + total - (before[name] ?? 0);
    return figures;
  };
  calls.push({}, {});
  const contenders: Record<Contender, (count: number) => Promise<RunFigures>> = {
    bareClient: (count) => bareClientRun(agent, receiverUrl, body, count),
    handler: countingCalls('one group', 0),
    handlerSingles: countingCalls('groups of one', 1),
    core: (count) => batchHandlerRun(core, subscriptions, count, 'one group'),
  };
  for (const name of CONTENDERS) await contenders[name](WARM_UP_REQUESTS);
  calls[0] = {};
  calls[1] = {};

  const runs: Record<Contender, RunFigures[]> = { bareClient: [], handler: [], handlerSingles: [], core: [] };
  for (let run = 0; run < RUNS; run++) {
    // Each run starts with the next contender, so none is always first or always last.
    for (let turn = 0; turn < CONTENDERS.length; turn++) {
      const name = CONTENDERS[(run + turn) % CONTENDERS.length]!;
      runs[name].push(await contenders[name](REQUESTS_PER_RUN));
    }
  }
  const delivered = RUNS * REQUESTS_PER_RUN;
  const perDelivery = (counted: Record<string, number>) =>
    Object.fromEntries(Object.entries(counted).filter(([, total]) => total > 0).map(([name, total]) => [name, total / delivered]));
  return { runs, handlerCallsPerMessage: perDelivery(calls[0]!), singlesCallsPerMessage: perDelivery(calls[1]!) };
});
