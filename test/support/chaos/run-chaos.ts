import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SendMessageCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { HANDLER_SOURCE_METADATA } from '../../../lib/webhook-fanout';
import { SqsEventSource } from '../../../local/sqs-event-source';
import { readTemplate } from '../../../local/template/document';
import { localFunctionName } from '../../../local/template/functions';
import { localClients, localEndpoints } from '../emulators';
import { startPipeline, type Pipeline } from '../pipeline';
import { seededRandom } from '../fault-proxy';
import { queueDepth, receiveAll } from '../queues';
import { readDeliveryLog, type DeliveryLog } from '../reconcile';
import { ChaosReceiver, REQUEST_BEHAVIOURS, type RequestBehaviour } from './chaos-receiver';
import { DeliveryEnvironments, type InvocationRecord } from './delivery-environments';
import { reconcileChaos, type ChaosReconciliation, type ChaosSubscription } from './reconcile-chaos';

/**
 * A chaos run: N events to M subscriptions through the real pipeline (test/support/pipeline.ts:
 * the handlers, tables and queues of the synthesized stack in the emulators), the delivery function
 * in execution environments that crash and whose AWS calls fail (delivery-environments.ts),
 * every subscription's receiver failing at random in every way a receiver can (chaos-receiver.ts).
 * When every queue is empty, the delivery log is read through the API and reconciled with what the
 * receivers saw (reconcile-chaos.ts).
 *
 * Needs the emulators: inside vitest the global setup's, in a script the ones it started and named
 * with `useLocalEndpoints`.
 */

export interface ChaosOptions {
  readonly seed: number;
  readonly events: number;
  readonly subscriptions: number;
  /** Delays before retries, seconds (WEBHOOK_RETRY_SCHEDULE): N delays, N + 1 attempts. */
  readonly retrySchedule: readonly number[];
  /** Time for one delivery attempt (WEBHOOK_TIMEOUT_MS). */
  readonly attemptTimeoutMs: number;
  /** The delivery function's timeout in the run. */
  readonly functionTimeoutMs: number;
  /** The delivery queue's visibility timeout in the run: when a crashed batch reappears. */
  readonly visibilityTimeoutSeconds: number;
  /** Delivery invocations at once (execution environments busy at a time). */
  readonly concurrency: number;
  /** Share of delivery invocations of at least 3 messages killed in the middle of their batch. */
  readonly crashShare: number;
  /** Crashes the run makes sure of, whatever the draws. */
  readonly minCrashes: number;
  /** Share of the delivery function's SQS and DynamoDB calls whose first attempt fails; a quarter of that fails twice, an eighth every time. */
  readonly awsFaultShare: number;
  /** Each receiver fails this share of requests, drawn per receiver from the range. */
  readonly failureShare: readonly [number, number];
  /** Share of new connections a receiver resets before reading the request. */
  readonly resetUnreadShare: number;
  /** Receivers that start answering 410 Gone partway through. */
  readonly goneReceivers: number;
  /** This share of the receivers is down when publishing starts (connections refused), each coming up after a time in `forMs`. */
  readonly startDown: { readonly share: number; readonly forMs: readonly [number, number] };
  /**
   * Attempts without an answer in a row that open an endpoint's circuit (WEBHOOK_CIRCUIT_BREAKER_THRESHOLD);
   * undefined keeps the stack's. Deliveries behind an open circuit wait: a short run may raise it.
   */
  readonly circuitBreakerThreshold: number | undefined;
  /** How long the run may take to drain once everything is published. */
  readonly settleTimeoutMs: number;
  readonly publishConcurrency: number;
  /** Progress lines; none when undefined. */
  readonly progress?: (line: string) => void;
  /** The functions' own log lines (at POWERTOOLS_LOG_LEVEL); dropped when undefined. */
  readonly functionLog?: (line: string) => void;
}

/** The full run of `npm run chaos`: 1,000 events x 10 subscriptions = 10,000 deliveries. */
export const CHAOS_DEFAULTS: ChaosOptions = {
  seed: 20_261_206,
  events: 1_000,
  subscriptions: 10,
  retrySchedule: [1, 1, 2, 2],
  attemptTimeoutMs: 2_000,
  // The construct's rule: the attempt timeout plus 15 s; the queue's visibility timeout above it.
  functionTimeoutMs: 17_000,
  visibilityTimeoutSeconds: 20,
  concurrency: 4,
  crashShare: 0.05,
  minCrashes: 3,
  awsFaultShare: 0.04,
  failureShare: [0.05, 0.45],
  resetUnreadShare: 0.05,
  goneReceivers: 1,
  startDown: { share: 0.2, forMs: [1_000, 3_000] },
  circuitBreakerThreshold: undefined,
  settleTimeoutMs: 15 * 60_000,
  publishConcurrency: 8,
};

export const EVENT_TYPE = 'chaos.tick';
/** Only a batch of at least this many messages is killed: it has a middle to die in. */
const CRASH_MIN_MESSAGES = 3;
/** Planted on each queue before the run: the only messages the dead-letter queues may hold after it. */
export const POISON = { fanout: ['chaos poison: not a fan-out message'], delivery: ['chaos poison: not a delivery message'] } as const;

export interface ChaosResult {
  readonly options: ChaosOptions;
  readonly deliveries: number;
  readonly scheduledAttempts: number;
  readonly durations: { readonly publishMs: number; readonly settleMs: number; readonly totalMs: number };
  /** The queues drained within `settleTimeoutMs`. */
  readonly drained: boolean;
  readonly reconciliation: ChaosReconciliation;
  readonly receivers: {
    readonly connections: number;
    readonly resetUnread: number;
    readonly closedEmpty: number;
    /** Receivers that were down when publishing started, and for how long (ms). */
    readonly startedDown: readonly number[];
    readonly byBehaviour: Record<RequestBehaviour, number>;
  };
  readonly pipeline: {
    readonly invocations: number;
    readonly crashed: number;
    readonly timedOut: number;
    readonly failed: number;
    readonly notStarted: number;
    readonly withAwsFault: number;
    /** The longest invocation that completed, against the function timeout. */
    readonly longestCompletedMs: number;
    /** Messages per invocation, on average. */
    readonly meanBatch: number;
    readonly restarts: number;
    readonly aws: DeliveryEnvironments['awsFaultStats'];
  };
  /** Every delivery invocation of the run, for a closer look. */
  readonly ledger: readonly InvocationRecord[];
  /** True when every check passed. */
  readonly ok: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Runs `work` over `items`, at most `limit` at a time. */
const inParallel = async <T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> => {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!, index);
      }
    }),
  );
  return results;
};

export const runChaos = async (overrides: Partial<ChaosOptions> = {}): Promise<ChaosResult> => {
  const options: ChaosOptions = { ...CHAOS_DEFAULTS, ...overrides };
  const progress = options.progress ?? (() => undefined);
  const random = seededRandom(options.seed);
  const scheduledAttempts = options.retrySchedule.length + 1;
  const started = Date.now();
  const { sqs } = localClients();
  const endpoints = localEndpoints();

  const functionSettings = {
    WEBHOOK_RETRY_SCHEDULE: options.retrySchedule.join(','),
    WEBHOOK_TIMEOUT_MS: String(options.attemptTimeoutMs),
    WEBHOOK_ALLOW_HTTP: 'true',
    // The receivers are on loopback; the deployed stack refuses it, the run allows it.
    WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
    // Every injected fault makes a handler log an error: quiet unless asked for.
    POWERTOOLS_LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'SILENT',
    ...(options.circuitBreakerThreshold === undefined ? {} : { WEBHOOK_CIRCUIT_BREAKER_THRESHOLD: String(options.circuitBreakerThreshold) }),
  };
  const pipeline: Pipeline = await startPipeline(functionSettings);
  const receivers: ChaosReceiver[] = [];
  let environments: DeliveryEnvironments | undefined;
  let delivery: SqsEventSource | undefined;
  try {
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: pipeline.queueUrl('delivery'),
        Attributes: { VisibilityTimeout: String(options.visibilityTimeoutSeconds) },
      }),
    );

    // Receivers and subscriptions: one receiver per subscription, so a connection it resets unread
    // is known to be that subscription's even though its event is not.
    const key = await pipeline.createKey('chaos');
    const [low, high] = options.failureShare;
    const goneAt = new Set(Array.from({ length: Math.min(options.goneReceivers, options.subscriptions) }, (_, i) => options.subscriptions - 1 - i));
    const [downMin, downMax] = options.startDown.forMs;
    const downFor = Array.from({ length: options.subscriptions }, () =>
      random() < options.startDown.share ? Math.round(downMin + (downMax - downMin) * random()) : 0,
    );
    const subscriptions: ChaosSubscription[] = [];
    for (let index = 0; index < options.subscriptions; index++) {
      const gone = goneAt.has(index);
      const receiver = await ChaosReceiver.start({
        name: `r${String(index + 1).padStart(2, '0')}${gone ? '-gone' : ''}`,
        seed: (options.seed + 1_000 * (index + 1)) >>> 0,
        failureShare: Math.round((low + (high - low) * random()) * 100) / 100,
        resetUnreadShare: options.resetUnreadShare,
        // Gone partway: after 20% to 50% of the requests it would get without retries.
        ...(gone ? { goneFrom: Math.max(2, Math.round(options.events * (0.2 + 0.3 * random()))) } : {}),
        startsDown: downFor[index]! > 0,
        attemptTimeoutMs: options.attemptTimeoutMs,
      });
      receivers.push(receiver);
      const created = await pipeline.subscribe(key, receiver.url, ['chaos.*']);
      receiver.secret = created.secret;
      subscriptions.push({ name: receiver.name, id: created.id, receiver, mayBeDisabled: gone });
    }

    // The delivery function in execution environments of its own, with the function's environment.
    const fn = pipeline.resources.functionNamed('DeliveryFunction');
    const source = readTemplate(pipeline.resources.template).resources.get(fn.logicalId)?.metadata[HANDLER_SOURCE_METADATA];
    if (typeof source !== 'string') throw new Error(`${fn.logicalId} has no ${HANDLER_SOURCE_METADATA} metadata`);
    const maxWaitMs = 2_000;
    const mapping = pipeline.resources.eventSources.find((s) => s.function.logicalId === fn.logicalId)!;
    environments = await DeliveryEnvironments.start({
      concurrency: options.concurrency,
      spare: 2,
      functionName: localFunctionName(fn),
      handlerSource: resolve(PROJECT_ROOT, source),
      handlerExport: fn.handler?.split('.').at(-1) ?? 'handler',
      memoryMb: fn.memoryMb,
      environment: {
        ...(process.env as Record<string, string>),
        ...pipeline.resources.envForFunction('DeliveryFunction'),
        POWERTOOLS_METRICS_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        AWS_LAMBDA_FUNCTION_NAME: localFunctionName(fn),
        ...functionSettings,
      },
      timeoutMs: options.functionTimeoutMs,
      maxWaitMs,
      seed: options.seed,
      crashShare: options.crashShare,
      crashMinMessages: CRASH_MIN_MESSAGES,
      minCrashes: options.minCrashes,
      crashAfterMs: [50, Math.min(1_500, options.functionTimeoutMs / 2)],
      sqsEndpoint: endpoints.sqsEndpoint,
      dynamoEndpoint: endpoints.dynamoEndpoint,
      awsFaults: { transient: options.awsFaultShare, twice: options.awsFaultShare / 4, exhausting: options.awsFaultShare / 8 },
      ...(options.functionLog ? { log: options.functionLog } : {}),
    });
    const queue = pipeline.resources.queue(mapping.queueLogicalId);
    delivery = new SqsEventSource({
      sqs,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      handler: environments.handler,
      functionName: localFunctionName(fn),
      // The environments bound each invocation by the function timeout; this only catches a hang of the harness.
      timeoutMs: maxWaitMs + options.functionTimeoutMs + 1_000,
      batchSize: mapping.batchSize,
      maxBatchingWindowSeconds: mapping.maximumBatchingWindowSeconds,
      reportBatchItemFailures: mapping.reportBatchItemFailures,
      maxConcurrency: options.concurrency,
      waitTimeSeconds: 1,
    });

    for (const body of POISON.fanout) await sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrl('fanout'), MessageBody: body }));
    for (const body of POISON.delivery) await sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrl('delivery'), MessageBody: body }));

    environments.awsFaults = true;
    pipeline.fanout.start();
    delivery.start();
    const deliveries = options.events * options.subscriptions;
    progress(`publishing ${options.events} events to ${options.subscriptions} subscriptions (${deliveries} deliveries), seed ${options.seed}`);
    const publishStarted = Date.now();
    const comingUp = receivers.map((receiver, index) => (downFor[index]! > 0 ? sleep(downFor[index]!).then(() => receiver.up()) : Promise.resolve()));
    const eventIds = await inParallel(
      Array.from({ length: options.events }, (_, i) => i),
      options.publishConcurrency,
      async (index) => (await pipeline.publish(key, EVENT_TYPE, { index, seed: options.seed, note: `event ${index} of the chaos run` })).id,
    );
    const publishMs = Date.now() - publishStarted;
    await Promise.all(comingUp);

    // Drain: every queue empty (visible, in flight and delayed) and no invocation running, for a while.
    const settleStarted = Date.now();
    const deadline = settleStarted + options.settleTimeoutMs;
    let quietSince: number | undefined;
    let lastProgress = Date.now();
    let drained = false;
    for (;;) {
      const depth = (await queueDepth(sqs, pipeline.queueUrl('delivery'))) + (await queueDepth(sqs, pipeline.queueUrl('fanout')));
      if (depth === 0 && environments.busy === 0) {
        quietSince ??= Date.now();
        if (Date.now() - quietSince >= 2_000) {
          drained = true;
          break;
        }
      } else {
        quietSince = undefined;
      }
      if (Date.now() > deadline) break;
      if (Date.now() - lastProgress >= 10_000) {
        lastProgress = Date.now();
        const seen = receivers.reduce((n, r) => n + r.requests.length, 0);
        const crashed = environments.ledger.filter((i) => i.outcome === 'crashed').length;
        progress(`  ${Math.round((Date.now() - started) / 1000)} s: ${depth} message(s) queued, ${seen} requests seen, ${environments.ledger.length} invocations, ${crashed} crashed`);
      }
      await sleep(250);
    }
    const settleMs = Date.now() - settleStarted;
    await Promise.all([pipeline.fanout.stop(), delivery.stop()]);
    environments.awsFaults = false;

    progress('reading the delivery log');
    const log: DeliveryLog = new Map();
    for (let i = 0; i < eventIds.length; i += 50) {
      for (const [eventId, records] of await readDeliveryLog(pipeline, key, eventIds.slice(i, i + 50))) log.set(eventId, records);
    }
    const deadLetters = { fanout: await receiveAll(sqs, pipeline.queueUrl('fanoutDlq')), delivery: await receiveAll(sqs, pipeline.queueUrl('deliveryDlq')) };
    const queueDepths = { fanout: await queueDepth(sqs, pipeline.queueUrl('fanout')), delivery: await queueDepth(sqs, pipeline.queueUrl('delivery')) };
    const ledger: readonly InvocationRecord[] = environments.ledger;
    const reconciliation = reconcileChaos({
      log,
      eventIds,
      subscriptions,
      ledger,
      scheduledAttempts,
      deadLetters,
      plantedPoison: { fanout: [...POISON.fanout], delivery: [...POISON.delivery] },
      queueDepths,
    });

    const count = (outcome: InvocationRecord['outcome']) => ledger.filter((i) => i.outcome === outcome).length;
    const byBehaviour = Object.fromEntries(REQUEST_BEHAVIOURS.map((b) => [b, receivers.reduce((n, r) => n + r.counts.byBehaviour[b], 0)])) as Record<RequestBehaviour, number>;
    const result: ChaosResult = {
      options,
      deliveries,
      scheduledAttempts,
      durations: { publishMs, settleMs, totalMs: Date.now() - started },
      drained,
      reconciliation,
      receivers: {
        connections: receivers.reduce((n, r) => n + r.counts.connections, 0),
        resetUnread: receivers.reduce((n, r) => n + r.counts.resetUnread, 0),
        closedEmpty: receivers.reduce((n, r) => n + r.counts.closedEmpty, 0),
        startedDown: downFor.filter((ms) => ms > 0),
        byBehaviour,
      },
      pipeline: {
        invocations: ledger.length,
        crashed: count('crashed'),
        timedOut: count('timed_out'),
        failed: count('failed'),
        notStarted: count('not_started'),
        withAwsFault: ledger.filter((i) => i.exhaustedCalls + i.lostSends + i.lostAnswers > 0).length,
        longestCompletedMs: Math.max(0, ...ledger.filter((i) => i.outcome === 'completed').map((i) => i.endedAt - i.startedAt)),
        meanBatch: ledger.length === 0 ? 0 : ledger.reduce((n, i) => n + i.messages.length, 0) / ledger.length,
        restarts: environments.restarts,
        aws: environments.awsFaultStats,
      },
      ledger,
      ok: drained && reconciliation.checks.every((check) => check.ok),
    };
    return result;
  } finally {
    await Promise.all([pipeline.fanout.stop(), delivery?.stop()]);
    await environments?.stop();
    await Promise.all(receivers.map((receiver) => receiver.close()));
  }
};
