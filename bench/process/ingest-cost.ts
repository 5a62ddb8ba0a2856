import { formatSetting, SETTINGS } from '../../lambdas/core/settings';
import { functionEnvironment } from './env';
import { callList, microseconds } from './format';
import type { IngestMeasurement, IngestWorkerResult } from './ingest-worker';
import { runWorker } from './worker';
import type { Benchmark, BenchSection, TargetCheck } from '../report';

const isWrite = (call: string): boolean => /^DynamoDB\.(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/.test(call);
const isSend = (call: string): boolean => /^SQS\.SendMessage(Batch)?$/.test(call);

/** The target: one DynamoDB write and one SQS send per event, and no other AWS call. */
const commonCaseTarget = (measured: IngestMeasurement): TargetCheck => {
  const calls = Object.entries(measured.callsPerEvent);
  const writes = calls.filter(([name]) => isWrite(name)).reduce((sum, [, count]) => sum + count, 0);
  const sends = calls.filter(([name]) => isSend(name)).reduce((sum, [, count]) => sum + count, 0);
  const others = calls.filter(([name]) => !isWrite(name) && !isSend(name));
  const met = writes === 1 && sends === 1 && others.length === 0;
  return {
    name: 'Ingest AWS calls per event, no Idempotency-Key',
    target: '1 DynamoDB write + 1 SQS send',
    measured: callList(measured.callsPerEvent),
    met,
    ...(met ? {} : { note: `${writes} writes, ${sends} sends, other calls: ${callList(Object.fromEntries(others))}` }),
  };
};

const row = (path: string, withKey: boolean, measured: IngestMeasurement): string[] => [
  path,
  withKey ? 'yes' : 'no',
  microseconds(measured.cpuMicrosPerEvent),
  microseconds(measured.wallMicrosPerEvent),
  callList(measured.callsPerEvent),
];

export const ingestCost: Benchmark = {
  id: 'ingest',
  title: 'Ingest: cost per event',
  async run(): Promise<BenchSection> {
    const result = await runWorker<IngestWorkerResult>(
      'ingest-worker.ts',
      functionEnvironment({ [SETTINGS.inlineFanoutLimit.env]: formatSetting('inlineFanoutLimit', 0) }),
    );
    const { handler, acceptEvent } = result;
    const sdkShare = handler.withoutKey.cpuMicrosPerEvent - acceptEvent.withoutKey.cpuMicrosPerEvent;
    return {
      id: 'ingest',
      title: 'Ingest: cost per event',
      method:
        `In a fresh Node process, the ingest function's exported handler (middy, authentication, validation, the DynamoDB ` +
        `event store, the SQS publisher, Powertools logs and metrics) is invoked ${result.events} times in a row with ` +
        `API Gateway HTTP API events that POST one 1 KB event, after ${result.warmUp} warm-up invocations; CPU time is ` +
        `process.cpuUsage (user + system) over the run divided by the events. The SDK clients run their real code ` +
        `(serialization, SigV4 signing, middleware, checksums) and are answered from memory at their HTTP handler, so ` +
        `no network time is counted; AWS calls are counted by the functions' own request counter ` +
        `(lambdas/aws/request-counter.ts). For comparison, the pure acceptEvent core is run the same way with in-memory ` +
        `port fakes that count their calls. Each is measured without an Idempotency-Key and with a fresh one per event.`,
      columns: ['path', 'Idempotency-Key', 'CPU per event', 'wall per event', 'calls per event'],
      rows: [
        row('ingest handler, in-memory AWS', false, handler.withoutKey),
        row('ingest handler, in-memory AWS', true, handler.withKey),
        row('acceptEvent, port fakes', false, acceptEvent.withoutKey),
        row('acceptEvent, port fakes', true, acceptEvent.withKey),
      ],
      targets: [commonCaseTarget(handler.withoutKey)],
      notes: [
        `With an Idempotency-Key an event costs ${callList(handler.withKey.callsPerEvent)}: the claim is written ` +
          'before the event and marked after the hand-over, so that a repeat after a failure between the writes finishes ' +
          'the work instead of losing it.',
        'The API key is read once per execution environment and then cached (API_KEY_CACHE_SECONDS, 30 s by default): ' +
          'the warm-up absorbs that read, as a busy environment does.',
        `The handler is measured handing every event to the fan-out queue (INLINE_FANOUT_LIMIT=0), so no call depends on the number of subscribers; the requests benchmark counts ingest's own fan-out of small tenants. Of the handler's ` +
          `${microseconds(handler.withoutKey.cpuMicrosPerEvent)} per event, the domain logic is ` +
          `${microseconds(acceptEvent.withoutKey.cpuMicrosPerEvent)}; the other ${microseconds(sdkShare)} are the adapters ` +
          '(SDK requests, middy, logging and metrics).',
        'CPU time can exceed wall time: process.cpuUsage also counts the work of V8\'s background garbage-collection threads.',
      ],
    };
  },
};
