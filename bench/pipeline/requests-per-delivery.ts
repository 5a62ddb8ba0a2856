import { settingDefault } from '../../lambdas/core/settings';
import { DELIVERY_GROUP_SIZE } from '../../lambdas/core/messages';
import type { Benchmark, BenchSection, TargetCheck } from '../report';
import type { AwsCall } from './aws-meter';
import { measureWorkloads, RETRIED_SHARE, type FanOutMeasurement } from './workload';

/** `LocalWebhookFanoutEventsTableD6040D94` -> `Events`: tables and queues by the name the stack gives them. */
export const shortResourceName = (resource: string): string =>
  resource.replace(/^local-/, '').replace(/^WebhookFanout/, '').replace(/(Table|Queue)[0-9A-F]{8}$/, '').replace(/[0-9A-F]{8}$/, '');

/** The row label of a call: who made it, the operation, and on which table or queue. */
export const callLabel = (call: AwsCall): string => {
  if (call.caller === 'event source') return `event source: SQS ${call.operation}${call.empty === true ? ' (empty)' : ''}`;
  return `${call.service} ${call.operation} ${shortResourceName(call.resource)}`;
};

export const countBy = (calls: readonly AwsCall[], key: (call: AwsCall) => string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(key(call), (counts.get(key(call)) ?? 0) + 1);
  return counts;
};

const perUnit = (count: number, per: number): string => (count / per).toFixed(count / per >= 10 ? 1 : 3);

const checkCounts = (m: FanOutMeasurement): TargetCheck[] => {
  const sends = (service: string, operation: string, resource: string) =>
    m.calls.filter((c) => c.caller === 'function' && c.service === service && c.operation === operation && shortResourceName(c.resource) === resource);
  // Batches that carry an event's groups; the delivery function's sends of retries carry none.
  const groupBatches = sends('SQS', 'SendMessageBatch', 'Delivery').filter((c) => (c.groupMessages ?? 0) > 0);
  const groups = groupBatches.reduce((sum, c) => sum + (c.groupMessages ?? 0), 0);
  const eventWrites = sends('DynamoDB', 'PutItem', 'Events').length;
  const handOvers = sends('SQS', 'SendMessage', 'Fanout').length;
  const groupsPerEvent = Math.ceil(m.fanOut / DELIVERY_GROUP_SIZE);
  const batchesPerEvent = Math.ceil(groupsPerEvent / 10);
  // Ingest fans small sets out itself: its one send is then the delivery batch, not a fan-out message.
  const inline = m.fanOut <= settingDefault('inlineFanoutLimit');
  const ingestCheck: TargetCheck = inline
    ? {
        name: `ingest, fan-out ${m.fanOut} (fanned out by ingest)`,
        target: '1 DynamoDB write per event, its deliveries sent in full batches, no fan-out message',
        measured: `${perUnit(eventWrites, m.events)} PutItem + ${perUnit(groupBatches.length, m.events)} SendMessageBatch + ${perUnit(handOvers, m.events)} SendMessage per event`,
        met: eventWrites === m.events && handOvers === 0 && groupBatches.length === m.events * batchesPerEvent,
      }
    : {
        name: `ingest, fan-out ${m.fanOut}`,
        target: '1 DynamoDB write + 1 SQS send per event',
        measured: `${perUnit(eventWrites, m.events)} PutItem + ${perUnit(handOvers, m.events)} SendMessage per event`,
        met: eventWrites === m.events && handOvers === m.events,
      };
  return [
    ingestCheck,
    {
      name: `delivery messages and batches, fan-out ${m.fanOut}`,
      target: `one message per ${DELIVERY_GROUP_SIZE} deliveries (${m.events * groupsPerEvent}), SendMessageBatch = ceil(messages/10) per event (${m.events * batchesPerEvent}); DESIGN asks ceil(n/10) = ${m.events * Math.ceil(m.fanOut / 10)}`,
      measured: `${groups} messages in ${groupBatches.length} batches`,
      met: groups === m.events * groupsPerEvent && groupBatches.length === m.events * batchesPerEvent,
    },
  ];
};

const runRequests = async (): Promise<BenchSection> => {
  const measurements = await measureWorkloads();
  const labels = [...new Set(measurements.flatMap((m) => m.calls.map(callLabel)))].sort();
  const counts = measurements.map((m) => countBy(m.calls, callLabel));
  const rows = labels.map((label) => [
    label,
    ...measurements.flatMap((m, index) => {
      const count = counts[index]!.get(label) ?? 0;
      return [perUnit(count, m.events), perUnit(count, m.deliveries)];
    }),
  ]);
  const totals = (service: string) => [
    `all ${service} requests`,
    ...measurements.flatMap((m) => {
      const count = m.calls.filter((c) => c.service === service && c.empty !== true).length;
      return [perUnit(count, m.events), perUnit(count, m.deliveries)];
    }),
  ];
  const invocations = [...new Set(measurements.flatMap((m) => [...m.functions.keys()]))].map((name) => [
    `Lambda invocations: ${name}`,
    ...measurements.flatMap((m) => {
      const count = m.functions.get(name)?.invocations ?? 0;
      return [perUnit(count, m.events), perUnit(count, m.deliveries)];
    }),
  ]);
  return {
    id: 'requests',
    title: 'AWS requests per event and per delivery',
    method:
      `The local runtime runs the cost workload at fan-out 1, 10 and 100 (${measurements.map((m) => `${m.events} events at fan-out ${m.fanOut}`).join(', ')}; ` +
      `1 KB events, one per POST at a steady rate, to subscriptions on a loopback receiver that answers 200 at once, except that every ${RETRIED_SHARE}th delivery ` +
      'fails its first three attempts with a 500 and is retried on a 1-second schedule). One event per fan-out warms the caches first. Every AWS request is counted on the wire, ' +
      "SDK retries included: the functions' SDK clients reach the emulators through a counting proxy per service, and the event source's own polling " +
      "(Lambda's SQS poller, which AWS bills as SQS requests) is counted through Node's HTTP diagnostics channel. Counts are divided by events and by deliveries.",
    columns: ['request', ...measurements.flatMap((m) => [`fan-out ${m.fanOut} /event`, `/delivery`])],
    rows: [...rows, totals('SQS'), totals('DynamoDB'), ...invocations],
    targets: measurements.flatMap(checkCounts),
    notes: [
      ...measurements.map((m) => `fan-out ${m.fanOut}: ${m.deliveries} deliveries (${m.retriedDeliveries} retried 3 times) in ${m.seconds.toFixed(1)} s.`),
      'Totals leave out empty receives: the local event source long-polls for 1 s so it stops quickly; Lambda polls for 20 s, so the cost model prices idle polling separately.',
    ],
  };
};

export const requestsBenchmark: Benchmark = { id: 'requests', title: 'AWS requests per event and per delivery', run: runRequests };
