import type { Benchmark, BenchSection } from '../report';
import { percentile } from '../report';
import { publishAtRate, waitForQuiet, waitUntil, withPipeline } from './runtime';

const FAN_OUT = 2;
const PER_SECOND = 20;
const SECONDS = 25;
const WARM_UP_EVENTS = 10;

interface LatencyRun {
  sentToReceived: number[];
  createdToReceived: number[];
  deliveries: number;
}

const measureLatency = (): Promise<LatencyRun> =>
  withPipeline({}, async ({ api, receiver, aws }) => {
    const type = 'bench.latency';
    for (let s = 0; s < FAN_OUT; s++) await api.subscribe(receiver.urlFor(s), [type]);
    receiver.reset();
    await publishAtRate(api, type, WARM_UP_EVENTS, PER_SECOND);
    await waitUntil(() => receiver.delivered.length >= WARM_UP_EVENTS * FAN_OUT, 30_000, 'warm-up deliveries');
    await waitForQuiet(aws, 500, 30_000);

    receiver.reset();
    const accepted = await publishAtRate(api, type, PER_SECOND * SECONDS, PER_SECOND);
    await waitUntil(() => receiver.delivered.length >= accepted.length * FAN_OUT, 120_000, 'every delivery');
    const createdAt = accepted.map((event) => Date.parse(event.createdAt));
    return {
      sentToReceived: receiver.delivered.map((d) => d.receivedAt - d.data.sentAt),
      createdToReceived: receiver.delivered.map((d) => d.receivedAt - createdAt[d.data.i]!),
      deliveries: receiver.delivered.length,
    };
  });

const runLatency = async (): Promise<BenchSection> => {
  const run = await measureLatency();
  const row = (label: string, values: number[]) => [label, ...[50, 90, 99, 100].map((p) => `${percentile(values, p).toFixed(0)} ms`)];
  return {
    id: 'latency',
    title: 'End-to-end latency',
    method:
      `The local runtime receives ${PER_SECOND} events per second for ${SECONDS} s (1 KB, one per POST, after ${WARM_UP_EVENTS} warm-up events), each to ${FAN_OUT} subscriptions ` +
      'on a loopback receiver that answers 200 at once. The receiver timestamps each delivery; latency is that time minus the time the client sent the event, and minus the ' +
      "event's createdAt from the 202 (same clock, one machine). It includes the local event source's polling (1 s long polls, batches of up to 10) and the emulators, " +
      "and every function, emulator and the load generator share this machine's cores.",
    columns: ['latency', 'p50', 'p90', 'p99', 'max'],
    rows: [row('sent -> received', run.sentToReceived), row('createdAt (202) -> received', run.createdToReceived)],
    notes: [`${run.deliveries} deliveries measured.`],
  };
};

export const latencyBenchmark: Benchmark = { id: 'latency', title: 'End-to-end latency', run: runLatency };
