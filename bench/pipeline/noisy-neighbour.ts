import { ENV } from '../../lambdas/core/resource-env';
import { settingDefault } from '../../lambdas/core/settings';
import type { JsonObject } from '../../local/template/document';
import { eventSourceMappings, findFunction, localFunctionName } from '../../local/template/functions';
import type { Benchmark, BenchSection, TargetCheck } from '../report';
import { probeDynamo } from './dynamo-probe';
import { CPU_READ_EVERY_MS, meterMachineCpu, SATURATED, type MachineCpu } from './machine-cpu';
import { SilentEndpoints } from './silent-endpoints';
import {
  burstRate,
  formatLatency,
  formatRatio,
  latencyPercentile,
  neighbourTargetMet,
  type LatencyFigure,
  type LatencySample,
} from './noisy-neighbour-stats';
import {
  BenchTimeoutError,
  STACK_RETRY_SCHEDULE,
  publishAtRate,
  waitForQuiet,
  waitUntil,
  withPipeline,
  type Accepted,
  type PipelineApi,
  type PipelineSession,
} from './runtime';

/** Tenant Q: a steady trickle to one healthy endpoint (the local tenant). */
const Q_PER_SECOND = 4;
const Q_SECONDS = 30;
const Q_TYPE = 'bench.quiet';
const Q_WARM_UP_EVENTS = 4;
/** Tenant N: endpoints that take the connection and never answer, and one burst of events to them. */
const NOISY_TENANT = 'noisy';
const N_TYPE = 'bench.noisy';
const N_ENDPOINTS = 20;
const N_EVENTS = 100;
/** Tenant H: a burst to healthy endpoints, to count the healthy deliveries per second that get through. */
const BURST_TENANT = 'burst';
const H_TYPE = 'bench.burst';
const H_SUBSCRIPTIONS = 10;
const H_EVENTS = 100;
const H_WINDOW_MS = 20_000;

/** Q's events sent this soon after the flood began: the target must hold from the flood's first second. */
const FLOOD_START_MS = 5_000;
/** Q's events whose latencies the report lists one by one: the flood's first seconds, where the first-5-s p95 is decided. */
const FIRST_EVENTS_SHOWN = 8;

/** A run's first events' latencies in the order they were sent (">" for one not received in time: the wait so far). */
const firstEvents = (run: QuietRun): string =>
  `${run.firstSamples
    .slice(0, FIRST_EVENTS_SHOWN)
    .map((sample) => `${sample.received ? '' : '>'}${Math.round(sample.ms)}`)
    .join(', ')} ms`;
/** How long after Q's last 202 its missing deliveries are waited for; the rest count as lower bounds. */
const GRACE_MS = 15_000;
/** No work for this long before a phase starts: the event source's extra pollers have gone idle. */
const SETTLE_MS = 4_000;
/** An invocation this long was held up by attempts waiting for an answer. */
const LONG_INVOCATION_MS = 10_000;

const P95_FACTOR = 2;
const P95_CEILING_MS = 1_500;

/** True if `condition` held within `timeoutMs`, false if the time ran out. */
const holdsWithin = async (condition: () => boolean, timeoutMs: number): Promise<boolean> => {
  try {
    await waitUntil(condition, timeoutMs, 'a condition');
    return true;
  } catch (error) {
    if (error instanceof BenchTimeoutError) return false;
    throw error;
  }
};

/** How long `work` took (ms). */
const timed = async (work: () => Promise<unknown>): Promise<number> => {
  const startedAt = Date.now();
  await work();
  return Date.now() - startedAt;
};

/** Posts `count` events at once. */
const publishAll = (api: PipelineApi, type: string, count: number): Promise<Accepted[]> =>
  Promise.all(Array.from({ length: count }, (_, i) => api.publish(type, i)));

const tenant = (session: PipelineSession, name: string): PipelineApi => {
  const api = session.tenants.get(name);
  if (api === undefined) throw new Error(`the pipeline has no tenant ${name}`);
  return api;
};

/** The delivery function's invocations since the last reset: how many, and how many held up. */
interface InvocationFacts {
  invocations: number;
  long: number;
  longestMs: number;
}

const deliveryInvocations = (session: PipelineSession): InvocationFacts => {
  const name = localFunctionName(findFunction(session.template, 'DeliveryFunction'));
  const durations = session.functions.snapshot().get(name)?.durationsMs ?? [];
  return {
    invocations: durations.length,
    long: durations.filter((ms) => ms > LONG_INVOCATION_MS).length,
    longestMs: durations.length === 0 ? 0 : Math.max(...durations),
  };
};

/** N's twenty endpoints and their subscriptions; Q's endpoint is the session's receiver. */
const subscribeNoisy = async (session: PipelineSession, silent: SilentEndpoints): Promise<void> => {
  await silent.start(N_ENDPOINTS);
  const noisy = tenant(session, NOISY_TENANT);
  for (const url of silent.urls) await noisy.subscribe(url, [N_TYPE]);
};

interface QuietRun {
  samples: LatencySample[];
  /** From the event's createdAt to the 202 reaching the client: the ingest function's own work after it stamped the event. */
  ingest: LatencySample[];
  /** From sending the request to its 202: what Q's client waited, a wait for the local API's turn included. */
  answer: LatencySample[];
  /** Q's events sent within the first FLOOD_START_MS of the run (of the flood, beside N). */
  firstSamples: LatencySample[];
  received: number;
  /** How long N's events took to be accepted, beside N. */
  floodAcceptedMs?: number;
  noisyAttempts: number;
  /** DynamoDB Local's answer times to a probe every 100 ms during the run (ms). */
  dynamoProbes: LatencySample[];
  /** What the machine's cores did in the first FLOOD_START_MS of Q's run (undefined where /proc/stat is not). */
  cpu: MachineCpu | undefined;
  invocations: InvocationFacts;
}

/**
 * Q's steady run, alone or beside N's flood, on a fresh pipeline or one where everything was delivered. Q's latency of an event is from
 * its createdAt (in the 202) to the moment the receiver read the request; an event not received
 * GRACE_MS after Q's last 202 counts the time it had waited by then, as a lower bound.
 */
/** Where N's flood is when Q's run starts: none; posted as Q starts; or already accepted (so ingest is not shared). */
type FloodTiming = 'none' | 'together' | 'accepted-before';

const quietIn = async (session: PipelineSession, floodTiming: FloodTiming): Promise<QuietRun> => {
  const besideNoisy = floodTiming !== 'none';
  const silent = new SilentEndpoints();
  try {
    await session.api.subscribe(session.receiver.urlFor(0), [Q_TYPE]);
    if (besideNoisy) await subscribeNoisy(session, silent);
    session.receiver.reset();
    await publishAtRate(session.api, Q_TYPE, Q_WARM_UP_EVENTS, Q_PER_SECOND);
    await waitUntil(() => session.receiver.delivered.length >= Q_WARM_UP_EVENTS, 30_000, "Q's warm-up deliveries");
    await waitForQuiet(session.aws, SETTLE_MS, 30_000);

    session.receiver.reset();
    session.functions.reset();
    session.aws.reset();
    const probes = probeDynamo(session.dynamoEndpoint, session.subscriptionsTable);
    const acceptedBefore = floodTiming === 'accepted-before' ? await timed(() => publishAll(tenant(session, NOISY_TENANT), N_TYPE, N_EVENTS)) : undefined;
    const startedAt = Date.now();
    const cpu = meterMachineCpu(FLOOD_START_MS);
    const flood =
      floodTiming === 'together' ? publishAll(tenant(session, NOISY_TENANT), N_TYPE, N_EVENTS).then(() => Date.now() - startedAt) : acceptedBefore;
    const [accepted, floodAcceptedMs] = await Promise.all([publishAtRate(session.api, Q_TYPE, Q_PER_SECOND * Q_SECONDS, Q_PER_SECOND), flood]);
    const firstArrival = () => {
      const byEvent = new Map<string, number>();
      for (const delivery of session.receiver.delivered) if (!byEvent.has(delivery.webhookId)) byEvent.set(delivery.webhookId, delivery.receivedAt);
      return byEvent;
    };
    await holdsWithin(() => firstArrival().size >= accepted.length, GRACE_MS);
    const endedAt = Date.now();
    const dynamoProbes = await probes.stop();
    const arrivals = firstArrival();
    const samples = accepted.map((event): LatencySample => {
      const createdAt = Date.parse(event.createdAt);
      const receivedAt = arrivals.get(event.id);
      return receivedAt === undefined ? { ms: endedAt - createdAt, received: false } : { ms: receivedAt - createdAt, received: true };
    });
    return {
      samples,
      ingest: accepted.map((event) => ({ ms: event.answeredAt - Date.parse(event.createdAt), received: true })),
      answer: accepted.map((event) => ({ ms: event.answeredAt - event.sentAt, received: true })),
      firstSamples: samples.filter((_, i) => accepted[i]!.sentAt - startedAt < FLOOD_START_MS),
      received: samples.filter((sample) => sample.received).length,
      ...(floodAcceptedMs === undefined ? {} : { floodAcceptedMs }),
      noisyAttempts: silent.requests,
      invocations: deliveryInvocations(session),
      dynamoProbes,
      cpu: await cpu,
    };
  } finally {
    await silent.close();
  }
};

interface BurstRun {
  perSecond: number;
  received: number;
  allWithinMs?: number;
}

/**
 * H posts H_EVENTS events at once to H_SUBSCRIPTIONS healthy endpoints; beside N, right after N's
 * flood was accepted (every one of N's deliveries queued ahead of H's). Counts what arrives within
 * H_WINDOW_MS.
 */
const burstRun = async (session: PipelineSession, besideNoisy: boolean): Promise<BurstRun> => {
  const silent = new SilentEndpoints();
  try {
    const burst = tenant(session, BURST_TENANT);
    for (let s = 1; s <= H_SUBSCRIPTIONS; s++) await burst.subscribe(session.receiver.urlFor(s), [H_TYPE]);
    if (besideNoisy) await subscribeNoisy(session, silent);
    session.receiver.reset();
    await burst.publish(H_TYPE, -1);
    await waitUntil(() => session.receiver.delivered.length >= H_SUBSCRIPTIONS, 30_000, "H's warm-up deliveries");
    await waitForQuiet(session.aws, SETTLE_MS, 30_000);

    session.receiver.reset();
    if (besideNoisy) await publishAll(tenant(session, NOISY_TENANT), N_TYPE, N_EVENTS);
    const startedAt = Date.now();
    const expected = H_EVENTS * H_SUBSCRIPTIONS;
    await publishAll(burst, H_TYPE, H_EVENTS);
    await holdsWithin(() => session.receiver.delivered.length >= expected, H_WINDOW_MS - (Date.now() - startedAt));
    return burstRate(session.receiver.delivered.map((delivery) => delivery.receivedAt), startedAt, expected, H_WINDOW_MS);
  } finally {
    await silent.close();
  }
};

/** The delivery settings the template gives, which the run uses as they are. */
interface DeliverySettings {
  batchSize: number;
  maxConcurrency: string;
  timeoutMs: number;
}

const deliverySettings = (template: JsonObject): DeliverySettings => {
  const delivery = findFunction(template, 'DeliveryFunction');
  const mapping = eventSourceMappings(template).find((m) => m.functionLogicalId === delivery.logicalId);
  const timeoutMs = Number(delivery.environment[ENV.timeoutMs]);
  return {
    batchSize: mapping?.batchSize ?? 10,
    maxConcurrency: mapping?.maximumConcurrency === undefined ? "Lambda's own scaling" : String(mapping.maximumConcurrency),
    timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : settingDefault('timeoutMs'),
  };
};

interface NoisyNeighbourRun {
  alone: QuietRun;
  beside: QuietRun;
  /** Beside N, N's flood accepted before Q's run began: the same deliveries queued, ingest not shared. */
  afterFlood: QuietRun;
  burstAlone: BurstRun;
  burstBeside: BurstRun;
  settings: DeliverySettings;
}

/** The meter stays off the functions' requests: it would add a hop to each on the busiest thread. */
const SESSION = { retrySchedule: STACK_RETRY_SCHEDULE, tenants: [NOISY_TENANT, BURST_TENANT], meterFunctionRequests: false } as const;

/** Four fresh pipelines: Q alone then H alone, Q beside N (flood posted together, then accepted before), H beside N. */
const measure = async (): Promise<NoisyNeighbourRun> => {
  const first = await withPipeline(SESSION, async (session) => ({
    settings: deliverySettings(session.template),
    alone: await quietIn(session, 'none'),
    burstAlone: await burstRun(session, false),
  }));
  const beside = await withPipeline(SESSION, (session) => quietIn(session, 'together'));
  const afterFlood = await withPipeline(SESSION, (session) => quietIn(session, 'accepted-before'));
  const burstBeside = await withPipeline(SESSION, (session) => burstRun(session, true));
  return { ...first, beside, afterFlood, burstBeside };
};

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** How long the cores were saturated: the share of the intervals between readings over SATURATED busy. */
const saturatedFor = (cpu: MachineCpu): string => `over ${SATURATED * 100}% busy for ${Math.round(cpu.saturatedShare * 100)}% of the ${seconds(FLOOD_START_MS)}`;

/** `1.29 of 2 cores; over 90% busy for 50% of the 5.0 s`. */
const cpuCell = (cpu: MachineCpu | undefined): string =>
  cpu === undefined ? 'not measured' : `${cpu.meanBusyCores.toFixed(2)} of ${cpu.cores} cores; ${saturatedFor(cpu)}`;
const perSecond = (value: number): string => `${value.toFixed(value < 10 ? 1 : 0)}/s`;

const runNoisyNeighbour = async (): Promise<BenchSection> => {
  const run = await measure();
  const { alone, beside, afterFlood, burstAlone, burstBeside, settings } = run;
  const figure = (samples: LatencySample[], p: number): LatencyFigure => latencyPercentile(samples, p);
  const aloneP95 = figure(alone.samples, 95);
  const besideP95 = figure(beside.samples, 95);
  const besideFirstP95 = figure(beside.firstSamples, 95);
  const latencyRow = (label: string, a: LatencyFigure, b: LatencyFigure): string[] => [label, formatLatency(a), formatLatency(b), formatRatio(b, a)];
  const countRow = (label: string, a: QuietRun, b: QuietRun): string[] => [label, `${a.received} of ${a.samples.length}`, `${b.received} of ${b.samples.length}`, ''];
  const burstCell = (burst: BurstRun): string =>
    `${burst.received} of ${H_EVENTS * H_SUBSCRIPTIONS}${burst.allWithinMs === undefined ? ` within ${seconds(H_WINDOW_MS)}` : `, all in ${seconds(burst.allWithinMs)}`}`;
  const burstRatio = burstAlone.perSecond > 0 ? `${(burstBeside.perSecond / burstAlone.perSecond).toFixed(2)}x` : '-';

  /** Why a target over `run` could be missed: deliveries still missing, invocations held by attempts. */
  const why = (run: QuietRun): string => {
    const missing = run.samples.length - run.received;
    return [
      ...(missing > 0 ? [`${missing} of Q's ${run.samples.length} deliveries had not arrived ${seconds(GRACE_MS)} after its last 202`] : []),
      ...(run.cpu === undefined || alone.cpu === undefined
        ? []
        : [`the machine's ${run.cpu.cores} cores were ${saturatedFor(run.cpu)} of Q's run (alone: ${Math.round(alone.cpu.saturatedShare * 100)}%)`]),
      run.invocations.long > 0
        ? `${run.invocations.long} of ${run.invocations.invocations} delivery invocations beside N lasted over ${seconds(LONG_INVOCATION_MS)} ` +
          `(longest ${seconds(run.invocations.longestMs)}): an attempt to one of N's endpoints waits up to the attempt timeout (${seconds(settings.timeoutMs)})`
        : `none of the ${run.invocations.invocations} delivery invocations beside N lasted over ${seconds(LONG_INVOCATION_MS)}`,
    ].join('; ');
  };
  const target = (name: string, measured: LatencyFigure, run: QuietRun): TargetCheck => {
    const met = neighbourTargetMet(measured, aloneP95, P95_FACTOR, P95_CEILING_MS);
    return {
      name,
      target: `<= ${P95_FACTOR}x Q's p95 alone (${formatLatency(aloneP95)}) and < ${seconds(P95_CEILING_MS)}`,
      measured: `${formatLatency(measured)} (${formatRatio(measured, aloneP95)})`,
      met,
      ...(met ? {} : { note: why(run) }),
    };
  };

  return {
    id: 'noisy-neighbour',
    title: 'Noisy neighbour: one tenant beside endpoints that never answer',
    method:
      `Two tenants on one local pipeline with the stack's settings (attempt timeout ${seconds(settings.timeoutMs)}, retry schedule, delivery batch size ${settings.batchSize}, ` +
      `maximum concurrency ${settings.maxConcurrency}; the local event source starts from one poller when the queue has been idle and adds one each time a poller ` +
      `receives messages, up to that maximum, keeping one free to receive while invocations run). The functions reach the emulators directly: the meter of AWS ` +
      "requests other benchmarks use would put a forwarding hop on each of their requests, so the one local DynamoDB is watched from outside instead, by a probe " +
      `every 100 ms. Tenant Q posts ${Q_PER_SECOND} events a second for ${Q_SECONDS} s (1 KB, after ${Q_WARM_UP_EVENTS} warm-up events) ` +
      `to one subscription on a loopback receiver that answers 200 at once (in a worker thread of its own, as a receiver is another machine: it stamps a request when ` +
      `it reads it, however busy the benchmark's own thread is). Tenant N has ${N_ENDPOINTS} subscriptions to endpoints that accept the connection, read the ` +
      `request and never answer (each on a port of its own), and posts ${N_EVENTS} events at once as Q's run starts: ${N_EVENTS * N_ENDPOINTS} deliveries queued together. ` +
      "Q's latency runs from its event's createdAt (in the 202) to the moment its receiver read the request, alone (no N) and beside N. It includes the " +
      "ingest function's own work after it stamped the event (its write and its hand-over to the delivery queue), shown apart. On Lambda each of N's " +
      `${N_EVENTS} requests has an instance of its own; the local API runs 4 requests of a function at once and serves the callers waiting in turn, one request ` +
      "each, so Q's request waits for a turn rather than behind N's whole burst: that wait comes before createdAt and is shown in the time from sending to the 202. " +
      `The machine's CPU (all its cores, from /proc/stat) is read every ${CPU_READ_EVERY_MS} ms over the first ${seconds(FLOOD_START_MS)} of Q's run: cores busy on average, and how ` +
      `much of that time they were over ${SATURATED * 100}% busy together. ` +
      'A delivery not received ' +
      `${seconds(GRACE_MS)} after Q's last 202 counts the time it had waited by then, and a figure that such a delivery could raise is shown as "> x". ` +
      `Healthy throughput is measured apart: tenant H posts ${H_EVENTS} events at once to ${H_SUBSCRIPTIONS} subscriptions on the healthy receiver ` +
      `(${H_EVENTS * H_SUBSCRIPTIONS} deliveries), alone, and beside N right after N's ${N_EVENTS} events were accepted; its rate is the deliveries received within ` +
      `${seconds(H_WINDOW_MS)} of the burst over the time until the last of them arrived (or over the whole window if some did not). Each phase starts on a freshly ` +
      "started pipeline (H alone follows Q alone once all of Q's deliveries are in), after the pipeline has done no work for " +
      `${seconds(SETTLE_MS)}, and ends by dropping N's connections and stopping the pipeline without waiting for N's retries.`,
    columns: ['measure', 'alone', 'beside N', 'beside / alone'],
    rows: [
      latencyRow("Q's latency p50", figure(alone.samples, 50), figure(beside.samples, 50)),
      latencyRow("Q's latency p95", aloneP95, besideP95),
      latencyRow("Q's latency max", figure(alone.samples, 100), figure(beside.samples, 100)),
      latencyRow(`Q's latency p95, events sent in the first ${seconds(FLOOD_START_MS)} of the flood`, figure(alone.firstSamples, 95), besideFirstP95),
      latencyRow("of which ingest's own work after createdAt (to the 202), p95", figure(alone.ingest, 95), figure(beside.ingest, 95)),
      latencyRow("of which ingest's own work after createdAt (to the 202), max", figure(alone.ingest, 100), figure(beside.ingest, 100)),
      latencyRow("Q's publish from sending to its 202 (before createdAt too: a wait for its turn), p95", figure(alone.answer, 95), figure(beside.answer, 95)),
      latencyRow("Q's publish from sending to its 202, max", figure(alone.answer, 100), figure(beside.answer, 100)),
      latencyRow('the one local DynamoDB: its answer to a probe every 100 ms, p95', figure(alone.dynamoProbes, 95), figure(beside.dynamoProbes, 95)),
      latencyRow("Q's latency p95, N's flood accepted just before Q's run (delivery shared, ingest not)", aloneP95, figure(afterFlood.samples, 95)),
      latencyRow(
        `Q's latency p95, N's flood accepted just before, events sent in the first ${seconds(FLOOD_START_MS)}`,
        figure(alone.firstSamples, 95),
        figure(afterFlood.firstSamples, 95),
      ),
      latencyRow("Q's latency max, N's flood accepted just before", figure(alone.samples, 100), figure(afterFlood.samples, 100)),
      [`the machine's cores busy in the first ${seconds(FLOOD_START_MS)}, on average (N's flood posted together)`, cpuCell(alone.cpu), cpuCell(beside.cpu), ''],
      [`the machine's cores busy in the first ${seconds(FLOOD_START_MS)}, on average (N's flood accepted just before)`, cpuCell(alone.cpu), cpuCell(afterFlood.cpu), ''],
      countRow("Q's deliveries received", alone, beside),
      [`H's healthy deliveries per second (${H_EVENTS * H_SUBSCRIPTIONS} at once)`, perSecond(burstAlone.perSecond), perSecond(burstBeside.perSecond), burstRatio],
      ["H's deliveries received", burstCell(burstAlone), burstCell(burstBeside), ''],
    ],
    targets: [
      target("Q's p95 beside N, the whole run", besideP95, beside),
      target(`Q's p95 beside N, events sent in the first ${seconds(FLOOD_START_MS)} of the flood`, besideFirstP95, beside),
      target("Q's p95 beside N's flood accepted just before (delivery shared, ingest not), the whole run", figure(afterFlood.samples, 95), afterFlood),
      target(`Q's p95 beside N's flood accepted just before, events sent in the first ${seconds(FLOOD_START_MS)}`, figure(afterFlood.firstSamples, 95), afterFlood),
    ],
    notes: [
      `Beside N: N's ${N_EVENTS} events were accepted within ${seconds(beside.floodAcceptedMs ?? 0)}; N's endpoints received ${beside.noisyAttempts} requests (attempts) during the phase; ` +
        `${beside.invocations.invocations} delivery invocations finished, ${beside.invocations.long} of them after more than ${seconds(LONG_INVOCATION_MS)} (alone: ${alone.invocations.invocations}, ${alone.invocations.long}).`,
      `With N's flood accepted just before Q's run (in ${seconds(afterFlood.floodAcceptedMs ?? 0)}), Q's events find the same ${N_EVENTS * N_ENDPOINTS} deliveries queued ahead of them but do not share ingest ` +
        "and the one local DynamoDB with N's requests: the difference from the run posted together is what the local runtime's shared worker and emulator add, which Lambda and DynamoDB do not share between tenants.",
      `Q's first ${FIRST_EVENTS_SHOWN} events, one every ${1000 / Q_PER_SECOND} ms, from the start of Q's run: alone ${firstEvents(alone)}; ` +
        `beside N's flood posted together ${firstEvents(beside)}; accepted just before ${firstEvents(afterFlood)}. The p95 of the first ` +
        `${seconds(FLOOD_START_MS)} is the second-worst of ${afterFlood.firstSamples.length} events, so these few set it.`,
      `"First ${seconds(FLOOD_START_MS)} of the flood" takes Q's ${beside.firstSamples.length} events sent in that time: the target holds from the flood's first second, not only once ` +
        "the pipeline has learnt which endpoints are failing. Both targets compare with Q's p95 over its whole run alone.",
      "The benchmark drives only the public API and its own endpoints, so it measures whatever isolation between endpoints the delivery path has when it runs; N's endpoints answer nothing, so every attempt to them lasts until the attempt timeout unless the pipeline gives up on them sooner.",
    ],
  };
};

export const noisyNeighbourBenchmark: Benchmark = { id: 'noisy-neighbour', title: 'Noisy neighbour: one tenant beside endpoints that never answer', run: runNoisyNeighbour };
