import { median } from '../report';
import type { DeployedLogging } from '../log-ingestion';
import type { AwsCall, FunctionUsage } from './aws-meter';
import { publishAtRate, waitForQuiet, waitUntil, withPipeline, type PipelineSession } from './runtime';

/** One fan-out's measured run of the cost workload. */
export interface FanOutMeasurement {
  fanOut: number;
  events: number;
  /** The steady rate the events were posted at. */
  perSecond: number;
  deliveries: number;
  retriedDeliveries: number;
  /** Every AWS request of the run, function and event source. */
  calls: AwsCall[];
  functions: Map<string, FunctionUsage>;
  /** Median invocation duration per function with the pipeline otherwise idle (see `probeDurations`). */
  idleDurationMs: Map<string, number>;
  memoryMb: number;
  logging: DeployedLogging;
  seconds: number;
}

interface FanOutPlan {
  fanOut: number;
  events: number;
  perSecond: number;
}

/** Sizes that keep each run near a thousand deliveries, a few seconds each on a small machine. */
export const FAN_OUT_PLANS: readonly FanOutPlan[] = [
  { fanOut: 1, events: 200, perSecond: 40 },
  { fanOut: 10, events: 100, perSecond: 20 },
  { fanOut: 100, events: 10, perSecond: 2 },
];

/** The cost workload retries 1% of deliveries 3 times: every hundredth delivery fails its first three attempts. */
export const RETRIED_SHARE = 100;
const FAILED_ATTEMPTS = 3;
const PROBE_EVENTS = 5;
const QUIET_MS = 1500;

const isRetried = (eventIndex: number, subscription: number, fanOut: number): boolean => (eventIndex * fanOut + subscription) % RETRIED_SHARE === 0;

/**
 * Handler durations measured while the pipeline runs one event at a time: on a small machine
 * every function, the emulators and the load generator share two cores, so durations under load
 * measure contention for this machine's cores rather than what an invocation needs.
 */
const probeDurations = async (session: PipelineSession, type: string, fanOut: number): Promise<Map<string, number>> => {
  session.functions.reset();
  session.receiver.reset();
  for (let i = 0; i < PROBE_EVENTS; i++) {
    await session.api.publish(type, i);
    await waitUntil(() => session.receiver.delivered.length >= (i + 1) * fanOut, 30_000, 'a probe event to be delivered');
    await waitForQuiet(session.aws, 200, 10_000);
  }
  return new Map([...session.functions.snapshot()].map(([name, usage]) => [name, median(usage.durationsMs)]));
};

const measureFanOut = async (session: PipelineSession, { fanOut, events, perSecond }: FanOutPlan): Promise<FanOutMeasurement> => {
  const type = `bench.fanout${fanOut}`;
  const ids: string[] = [];
  for (let s = 0; s < fanOut; s++) ids.push(await session.api.subscribe(session.receiver.urlFor(s), [type]));
  // One event first, so caches (keys, subscriptions) are as warm as they are at a million events.
  session.receiver.reset();
  await session.api.publish(type, -1);
  await waitUntil(() => session.receiver.delivered.length >= fanOut, 30_000, 'the warm-up event to be delivered');
  await waitForQuiet(session.aws, QUIET_MS, 30_000);

  session.aws.reset();
  session.functions.reset();
  session.receiver.reset(({ data, subscription, attempt }) => (isRetried(data.i, subscription, fanOut) && attempt <= FAILED_ATTEMPTS ? 500 : 200));
  const started = performance.now();
  await publishAtRate(session.api, type, events, perSecond);
  await waitUntil(() => session.receiver.delivered.length >= events * fanOut, 120_000, `${events * fanOut} deliveries`);
  await waitForQuiet(session.aws, QUIET_MS, 30_000);
  const seconds = (performance.now() - started) / 1000;
  const calls = session.aws.snapshot();
  const functions = session.functions.snapshot();
  let retriedDeliveries = 0;
  for (let i = 0; i < events; i++) for (let s = 0; s < fanOut; s++) if (isRetried(i, s, fanOut)) retriedDeliveries += 1;

  const idleDurationMs = await probeDurations(session, type, fanOut);
  for (const id of ids) await session.api.unsubscribe(id);
  return { fanOut, events, perSecond, deliveries: events * fanOut, retriedDeliveries, calls, functions, idleDurationMs, memoryMb: session.memoryMb, logging: session.logging, seconds };
};

let measured: Promise<FanOutMeasurement[]> | undefined;

/** The workload at each fan-out, run once per `npm run bench` and shared by the requests and cost benchmarks. */
export const measureWorkloads = (): Promise<FanOutMeasurement[]> => {
  measured ??= withPipeline({}, async (session) => {
    const results: FanOutMeasurement[] = [];
    for (const plan of FAN_OUT_PLANS) results.push(await measureFanOut(session, plan));
    return results;
  });
  return measured;
};
