import { LOCAL_TENANT } from '../../local/runtime';
import { callList } from '../process/format';
import { percentile, type Benchmark, type BenchSection, type TargetCheck } from '../report';
import type { AwsCall } from './aws-meter';
import { consumerCount, DEFAULT_CONSUMERS, seedConsumers, seededConsumerId } from './consumer-seed';
import { countDifferences, fanOutTimes, perUnitCounts, spreadIndices, total } from './consumer-stats';
import { callLabel } from './requests-per-delivery';
import { publishAtRate, waitForQuiet, waitUntil, withPipeline, type PipelineApi, type PipelineSession } from './runtime';

const ENDPOINTS = 10;
const EVENTS = 200;
/** Each audience's events are sent in this many chunks, taken in turn with the other audiences'. */
const CHUNKS = 4;
const PER_SECOND = 10;
const WARM_UP_EVENTS = 5;
const OPERATION_ROUNDS = 10;
const MAX_FANOUT_RATIO = 1.5;
/** The API's page size when a request names none (GET /v1/consumers, deliveries). */
const DEFAULT_PAGE_ITEMS = 50;
const QUIET_MS = 1500;
const TYPE = 'bench.consumer';
const BASELINE_TENANT = 'bench-baseline';
const ONE_CONSUMER_TENANT = 'bench-one-consumer';
const FANOUT_SUBSCRIPTION_READ = 'DynamoDB Query Subscriptions';
/**
 * Requests whose number follows timing, not the data: the API key look-up and the deployment
 * secret's (each function caches them for a while, so whichever run spans the end of that time makes one) and the delivery
 * function's own receives and deletes of the delivery queue (it takes more messages only while an
 * invocation's batch waits for slow answers). Exact comparisons leave them out; the rows show them.
 */
const TIMING_DEPENDENT = ['DynamoDB GetItem ApiKeys', 'SQS ReceiveMessage Delivery', 'SQS DeleteMessage Delivery'];

/** Who events are published to: a tenant's own subscriptions, or a consumer of its for each event. */
interface Audience {
  api: PipelineApi;
  consumerOf: (i: number) => string | undefined;
  warmUpConsumerOf: (i: number) => string | undefined;
}

interface PublishRun {
  /** The functions' requests per event, by label. */
  functionCounts: Record<string, number>;
  /** The event source's requests per event (receives that found messages, deletes). */
  eventSource: number;
  /** Items fan-out's subscription queries returned, per event. */
  subscriptionItems: number;
  fanOutMs: number[];
}

const byFunctions = (calls: readonly AwsCall[]): AwsCall[] => calls.filter((call) => call.caller === 'function');
const itemsRead = (calls: readonly AwsCall[]): number => calls.reduce((sum, call) => sum + (call.itemsRead ?? 0), 0);

const warmUp = async (session: PipelineSession, audience: Audience): Promise<void> => {
  session.receiver.reset();
  await publishAtRate(audience.api, TYPE, WARM_UP_EVENTS, PER_SECOND, audience.warmUpConsumerOf);
  await waitUntil(() => session.receiver.delivered.length >= WARM_UP_EVENTS * ENDPOINTS, 60_000, 'the warm-up deliveries');
  await waitForQuiet(session.aws, QUIET_MS, 60_000);
};

/** Events `from` to `from + count - 1`: every AWS request until the pipeline is quiet again, and each event's fan-out time. */
const publishChunk = async (session: PipelineSession, audience: Audience, from: number, count: number): Promise<{ calls: AwsCall[]; fanOutMs: number[] }> => {
  const { aws, receiver } = session;
  aws.reset();
  receiver.reset();
  const sent = await publishAtRate(audience.api, TYPE, count, PER_SECOND, (i) => audience.consumerOf(from + i));
  await waitUntil(() => receiver.delivered.length >= count * ENDPOINTS, 180_000, `${count * ENDPOINTS} deliveries`);
  await waitForQuiet(aws, QUIET_MS, 60_000);
  return {
    calls: aws.snapshot(),
    fanOutMs: fanOutTimes(
      sent.map(({ sentAt }, i) => ({ i, sentAt })),
      receiver.delivered.map(({ data, receivedAt }) => ({ i: data.i, receivedAt })),
      ENDPOINTS,
    ),
  };
};

const summary = (calls: readonly AwsCall[], fanOutMs: number[]): PublishRun => {
  const own = byFunctions(calls);
  return {
    functionCounts: perUnitCounts(own, EVENTS, callLabel),
    eventSource: calls.filter((call) => call.caller === 'event source' && call.empty !== true).length / EVENTS,
    subscriptionItems: itemsRead(own.filter((call) => callLabel(call) === FANOUT_SUBSCRIPTION_READ)) / EVENTS,
    fanOutMs,
  };
};

/**
 * Each audience's events, in chunks taken in turn (one audience's chunk, then the next's), so that
 * whatever drifts on a shared machine weighs on all of them alike.
 */
const publishInTurn = async (session: PipelineSession, audiences: readonly Audience[]): Promise<PublishRun[]> => {
  for (const audience of audiences) await warmUp(session, audience);
  const calls: AwsCall[][] = audiences.map(() => []);
  const times: number[][] = audiences.map(() => []);
  const chunk = EVENTS / CHUNKS;
  for (let from = 0; from < EVENTS; from += chunk) {
    for (const [index, audience] of audiences.entries()) {
      const measured = await publishChunk(session, audience, from, chunk);
      calls[index]!.push(...measured.calls);
      times[index]!.push(...measured.fanOutMs);
    }
  }
  return audiences.map((_, index) => summary(calls[index]!, times[index]!));
};

/** A consumer and one of its subscriptions, which an operation's round works on. */
interface Target {
  consumerId: string;
  subscriptionId: string;
}

interface Operation {
  name: string;
  call: (api: PipelineApi, target: Target) => Promise<unknown>;
  /** Work the request starts in the background (a recovery run), measured until the pipeline is quiet. */
  background?: true;
  /** Its requests follow the length of the subscription's delivery log, so no exact comparison. */
  readsLog?: true;
}

const operations = (since: string): Operation[] => [
  { name: 'GET /v1/consumers/{id}/subscriptions', call: (api, t) => api.call('GET', `/v1/consumers/${t.consumerId}/subscriptions`, 200) },
  { name: 'GET /v1/subscriptions/{id}', call: (api, t) => api.call('GET', `/v1/subscriptions/${t.subscriptionId}`, 200) },
  { name: 'GET /v1/subscriptions/{id}/deliveries', call: (api, t) => api.call('GET', `/v1/subscriptions/${t.subscriptionId}/deliveries`, 200), readsLog: true },
  {
    name: 'POST /v1/subscriptions/{id}/recover',
    call: (api, t) => api.call('POST', `/v1/subscriptions/${t.subscriptionId}/recover`, 202, JSON.stringify({ since })),
    background: true,
  },
  { name: 'GET /v1/consumers', call: (api) => api.call('GET', '/v1/consumers', 200) },
];

interface OperationRun {
  /** The functions' requests per operation, by label. */
  counts: Record<string, number>;
  itemsRead: number;
  latencyMs: number[];
}

/** One uncounted round, then `OPERATION_ROUNDS` rounds, each on the next target. */
const measureOperation = async (session: PipelineSession, api: PipelineApi, operation: Operation, targets: readonly Target[]): Promise<OperationRun> => {
  const calls: AwsCall[] = [];
  const latencyMs: number[] = [];
  for (let round = -1; round < OPERATION_ROUNDS; round++) {
    session.aws.reset();
    const started = performance.now();
    await operation.call(api, targets[(round + 1) % targets.length]!);
    const elapsed = performance.now() - started;
    if (operation.background === true) await waitForQuiet(session.aws, QUIET_MS, 60_000);
    if (round < 0) continue;
    latencyMs.push(elapsed);
    calls.push(...byFunctions(session.aws.snapshot()));
  }
  return { counts: perUnitCounts(calls, OPERATION_ROUNDS, callLabel), itemsRead: itemsRead(calls) / OPERATION_ROUNDS, latencyMs };
};

/** Each consumer's first subscription, read before any operation is measured. */
const targetsOf = async (api: PipelineApi, consumerIds: readonly string[]): Promise<Target[]> =>
  Promise.all(
    consumerIds.map(async (consumerId) => {
      const { items } = await api.call<{ items: Array<{ id: string }> }>('GET', `/v1/consumers/${consumerId}/subscriptions`, 200);
      return { consumerId, subscriptionId: items[0]!.id };
    }),
  );

interface ConsumersRun {
  consumers: number;
  seededItems: number;
  seedSeconds: number;
  baseline: PublishRun;
  oneConsumer: PublishRun;
  manyConsumers: PublishRun;
  operations: Array<{ name: string; readsLog?: true; one: OperationRun; many: OperationRun }>;
}

const measure = (consumers: number): Promise<ConsumersRun> =>
  withPipeline({ tenants: [BASELINE_TENANT, ONE_CONSUMER_TENANT] }, async (session) => {
    const seedStart = performance.now();
    const seededItems = await seedConsumers(session.dynamoEndpoint, session.subscriptionsTable, {
      tenantId: LOCAL_TENANT,
      consumers,
      subscriptionsPerConsumer: ENDPOINTS,
      eventType: TYPE,
      urlFor: (s) => session.receiver.urlFor(s),
    });
    const seedSeconds = (performance.now() - seedStart) / 1000;
    await waitForQuiet(session.aws, QUIET_MS, 60_000);
    const baselineApi = session.tenants.get(BASELINE_TENANT)!;
    const oneApi = session.tenants.get(ONE_CONSUMER_TENANT)!;
    const onlyConsumer = seededConsumerId(0);
    await oneApi.putConsumer(onlyConsumer);
    for (let s = 0; s < ENDPOINTS; s++) {
      await baselineApi.subscribe(session.receiver.urlFor(s), [TYPE]);
      await oneApi.subscribe(session.receiver.urlFor(s), [TYPE], onlyConsumer);
    }

    const since = new Date().toISOString();
    // Distinct consumers spread over all of them: the measured events', then the warm-up's.
    const picked = spreadIndices(Math.min(consumers, EVENTS + WARM_UP_EVENTS), consumers).map(seededConsumerId);
    const pickedFor = (i: number) => picked[i % picked.length];
    const [baseline, oneConsumer, manyConsumers] = (await publishInTurn(session, [
      { api: baselineApi, consumerOf: () => undefined, warmUpConsumerOf: () => undefined },
      { api: oneApi, consumerOf: () => onlyConsumer, warmUpConsumerOf: () => onlyConsumer },
      { api: session.api, consumerOf: pickedFor, warmUpConsumerOf: (i) => pickedFor(EVENTS + i) },
    ])) as [PublishRun, PublishRun, PublishRun];

    // Consumers that received events, so each has a delivery log.
    const manyTargets = await targetsOf(session.api, picked.slice(0, OPERATION_ROUNDS + 1));
    const oneTargets = await targetsOf(oneApi, [onlyConsumer]);
    const measured: ConsumersRun['operations'] = [];
    for (const operation of operations(since)) {
      measured.push({
        name: operation.name,
        ...(operation.readsLog === undefined ? {} : { readsLog: operation.readsLog }),
        one: await measureOperation(session, oneApi, operation, oneTargets),
        many: await measureOperation(session, session.api, operation, manyTargets),
      });
    }
    return { consumers, seededItems, seedSeconds, baseline, oneConsumer, manyConsumers, operations: measured };
  });

const figure = (value: number): string => String(Number(value.toPrecision(3)));
const ms = (value: number): string => `${Math.round(value)} ms`;
const withoutLabels = (counts: Record<string, number>, labels: readonly string[]): Record<string, number> =>
  Object.fromEntries(Object.entries(counts).filter(([name]) => !labels.includes(name)));

/** Exact comparison of requests per event or per operation, label by label. */
const sameRequests = (name: string, measured: Record<string, number>, baseline: Record<string, number>, per: string): TargetCheck => {
  const differences = countDifferences(withoutLabels(measured, TIMING_DEPENDENT), withoutLabels(baseline, TIMING_DEPENDENT));
  return {
    name,
    target: 'the same requests, label by label, beside those that follow timing (exact)',
    measured: `${figure(total(measured))} vs ${figure(total(baseline))} per ${per}`,
    met: differences.length === 0,
    ...(differences.length === 0 ? {} : { note: `differs: ${differences.join('; ')}` }),
  };
};

const publishTargets = (run: ConsumersRun): TargetCheck[] => {
  const many = `${run.consumers.toLocaleString('en')} consumers`;
  const { baseline, oneConsumer, manyConsumers } = run;
  const p95 = (values: number[]) => percentile(values, 95);
  const ratio = p95(manyConsumers.fanOutMs) / p95(baseline.fanOutMs);
  return [
    sameRequests('1 consumer: function requests per event', oneConsumer.functionCounts, baseline.functionCounts, 'event'),
    {
      name: `${many}: fan-out's subscription reads per event`,
      target: `as the baseline's (exact): one query of the owner's partition, ${ENDPOINTS} items`,
      measured: `${figure(manyConsumers.functionCounts[FANOUT_SUBSCRIPTION_READ] ?? 0)} queries and ${figure(manyConsumers.subscriptionItems)} items per event (baseline ${figure(baseline.functionCounts[FANOUT_SUBSCRIPTION_READ] ?? 0)} and ${figure(baseline.subscriptionItems)})`,
      met: manyConsumers.functionCounts[FANOUT_SUBSCRIPTION_READ] === baseline.functionCounts[FANOUT_SUBSCRIPTION_READ] && manyConsumers.subscriptionItems === baseline.subscriptionItems,
    },
    sameRequests(`${many}: function requests per event`, manyConsumers.functionCounts, baseline.functionCounts, 'event'),
    {
      name: `${many}: fan-out time p95`,
      target: `<= ${MAX_FANOUT_RATIO}x the baseline's`,
      measured: `${ms(p95(manyConsumers.fanOutMs))} vs ${ms(p95(baseline.fanOutMs))} (${ratio.toFixed(2)}x)`,
      met: ratio <= MAX_FANOUT_RATIO,
    },
  ];
};

const operationTargets = (run: ConsumersRun): TargetCheck[] =>
  run.operations.flatMap(({ name, readsLog, one, many }) => {
    // A GetItem looks up one item; a BatchGetItem at most a page of them (the records a listed page names).
    const callsOf = (operation: string) => Object.entries(many.counts).filter(([label]) => label.startsWith(`DynamoDB ${operation} `)).reduce((sum, [, count]) => sum + count, 0);
    const lookups = callsOf('GetItem') + DEFAULT_PAGE_ITEMS * callsOf('BatchGetItem');
    const bound = DEFAULT_PAGE_ITEMS + lookups;
    return [
      ...(readsLog === true ? [] : [sameRequests(`${name}: requests with ${run.consumers.toLocaleString('en')} consumers`, many.counts, one.counts, 'operation (as with 1 consumer)')]),
      {
        name: `${name}: items read with ${run.consumers.toLocaleString('en')} consumers`,
        target: `at most one page (${DEFAULT_PAGE_ITEMS}) plus the items looked up: one per GetItem, a page per BatchGetItem (${bound})`,
        measured: `${figure(many.itemsRead)} (1 consumer: ${figure(one.itemsRead)})`,
        met: many.itemsRead <= bound,
      },
    ];
  });

const runConsumers = async (): Promise<BenchSection> => {
  const consumers = consumerCount();
  const run = await measure(consumers);
  const many = `${consumers.toLocaleString('en')} consumers`;
  const publishRuns = [run.baseline, run.oneConsumer, run.manyConsumers];
  const labels = [...new Set(publishRuns.flatMap((r) => Object.keys(r.functionCounts)))].sort();
  const publishRows = [
    ...labels.map((label) => [`${label} /event`, ...publishRuns.map((r) => figure(r.functionCounts[label] ?? 0))]),
    ['all function requests /event', ...publishRuns.map((r) => figure(total(r.functionCounts)))],
    ['event source requests /event (receives with messages, deletes)', ...publishRuns.map((r) => figure(r.eventSource))],
    ["items read by fan-out's subscription query /event", ...publishRuns.map((r) => figure(r.subscriptionItems))],
    ['fan-out time (event sent -> last delivery received) p50', ...publishRuns.map((r) => ms(percentile(r.fanOutMs, 50)))],
    ['fan-out time p95', ...publishRuns.map((r) => ms(percentile(r.fanOutMs, 95)))],
  ];
  const latency = (r: OperationRun) => `${ms(percentile(r.latencyMs, 50))} / ${ms(percentile(r.latencyMs, 95))}`;
  const operationRows = run.operations.flatMap(({ name, one, many: manyRun }) => [
    [`${name}: requests`, '', callList(one.counts), callList(manyRun.counts)],
    [`${name}: items read`, '', figure(one.itemsRead), figure(manyRun.itemsRead)],
    [`${name}: latency p50 / p95`, '', latency(one), latency(manyRun)],
  ]);
  return {
    id: 'consumers',
    title: `Consumers: ${many} of ${ENDPOINTS} endpoints each`,
    method:
      `A tenant with ${many} of ${ENDPOINTS} subscriptions each (${(consumers * ENDPOINTS).toLocaleString('en')} subscriptions, their locators and the consumers: ` +
      `${run.seededItems.toLocaleString('en')} items) is written straight into the local subscriptions table with parallel BatchWriteItem requests of items built by ` +
      `the stores' own item functions (${run.seedSeconds.toFixed(0)} s). Beside it, a baseline tenant has the same ${ENDPOINTS} subscriptions as its own and no consumers, ` +
      `and a third tenant has 1 consumer of ${ENDPOINTS}, both made through the API. Each gets ${EVENTS} events (1 KB, ${PER_SECOND} a second, after ${WARM_UP_EVENTS} ` +
      `warm-up events; in ${CHUNKS} chunks, the three tenants' taken in turn, each until the pipeline is quiet): the baseline's to its own subscriptions, the others' with a \`consumerId\`, the large tenant's each to a different consumer spread over all of ` +
      'them. Every AWS request is counted on the wire (the requests benchmark says how); "function requests" are those the functions make, the event source\'s ' +
      "polling is counted apart, since how many messages a receive finds depends on timing. Fan-out time runs from an event's POST being sent to the last of its " +
      'deliveries reaching the loopback receiver (ingest fans ten subscriptions out itself before it answers, so the 202 often arrives after the deliveries).' +
      ` Then each per-consumer operation runs ${OPERATION_ROUNDS} times (after one uncounted), on consumers that received an event, ` +
      'and on the tenant with 1 consumer; a recovery is measured until the pipeline is quiet, its run in fan-out included. Items read are those DynamoDB returned.',
    columns: ['measure', 'own subscriptions, no consumers', '1 consumer', many],
    rows: [...publishRows, ...operationRows],
    targets: [...publishTargets(run), ...operationTargets(run)],
    notes: [
      ...(consumers === DEFAULT_CONSUMERS ? [] : [`Run with BENCH_CONSUMERS=${consumers}; the full run seeds ${DEFAULT_CONSUMERS.toLocaleString('en')} consumers.`]),
      `Exact comparisons leave out the requests whose number follows timing rather than the data: ${TIMING_DEPENDENT.join(', ')} (the API key look-up and the deployment secret that seals delivery groups' subscriptions are cached by each function for a while; the delivery function takes messages from its queue itself only while a batch waits for slow answers, in place of the event source's receives). The rows show them.`,
      `The delivery log of the 1-consumer tenant's subscription holds every event published to it (${EVENTS + WARM_UP_EVENTS}), each of the large tenant's one: its listing reads more, which follows the log's length, not the number of consumers; the listing is compared by items read only.`,
      `Seeding wrote ${run.seededItems.toLocaleString('en')} items in ${run.seedSeconds.toFixed(0)} s (${Math.round(run.seededItems / run.seedSeconds).toLocaleString('en')} items/s); the owners' subscription counters are not written, since only a create reads them.`,
    ],
  };
};

export const consumersBenchmark: Benchmark = { id: 'consumers', title: 'Consumers: requests and fan-out time at scale', run: runConsumers };
