import { median, type Benchmark, type BenchSection, type TargetCheck } from '../report';
import { biggestLines, lambdaGbSeconds, logIngestionLine, peerPrices, priceLines, requestFloorPerEvent, totalPerMillion, type PricedLine, type UsageLine } from '../cost-model';
import { logBytesOf, systemLogLevels } from '../log-ingestion';
import { measureWorkloads, type FanOutMeasurement } from './workload';
import { PRICES } from '../prices';
import { settingDefault } from '../../lambdas/core/settings';
import { shortResourceName } from './requests-per-delivery';

/** The workload posts each event on its own: one HTTP API request, one access log line. */
const API_REQUESTS_PER_EVENT = 1;

/**
 * Idle polling, which Lambda does whatever the traffic: about 5 pollers per queue, 20-second long
 * polls, on the two queues with an event source. A monthly cost, spread over the events of a month
 * at the run's steady rate, and shown again for a quiet month of one million events.
 */
const SECONDS_PER_MONTH = 30 * 24 * 3600;
const IDLE_RECEIVES_PER_MONTH = 2 * 5 * (SECONDS_PER_MONTH / 20);
const QUIET_MONTH_EVENTS = 1e6;
const eventsPerMonth = (m: FanOutMeasurement): number => m.perSecond * SECONDS_PER_MONTH;

const TARGET_PER_MILLION = 4.0;
const DESIGN_FAN_OUT = 10;

const sum = (values: Iterable<number>): number => [...values].reduce((total, value) => total + value, 0);

/** What one event costs, from a measured run: every billed request, per event. */
export const usageOf = (m: FanOutMeasurement): UsageLine[] => {
  const perEvent = (value: number) => value / m.events;
  const functionCalls = m.calls.filter((c) => c.caller === 'function');
  const sourceCalls = m.calls.filter((c) => c.caller === 'event source' && c.empty !== true);
  const usages = [...m.functions.entries()];
  const gbSeconds = sum(usages.map(([name, usage]) => usage.invocations * lambdaGbSeconds(m.idleDurationMs.get(name) ?? (usage.durationsMs.length === 0 ? 0 : median(usage.durationsMs)), m.memoryMb)));
  const logs = logBytesOf(m.functions, m.logging, m.events * API_REQUESTS_PER_EVENT);
  const tables = [...new Set(functionCalls.filter((c) => c.service === 'DynamoDB').map((c) => c.resource))];
  const dynamoLines = tables.flatMap((table): UsageLine[] => {
    const onTable = functionCalls.filter((c) => c.resource === table);
    const name = shortResourceName(table);
    return [
      { category: 'DynamoDB', item: `writes, ${name} table`, perEvent: perEvent(sum(onTable.map((c) => c.writeUnits))), unit: 'WRU', unitPrice: PRICES.dynamoWriteUnit },
      { category: 'DynamoDB', item: `reads, ${name} table`, perEvent: perEvent(sum(onTable.map((c) => c.readUnits))), unit: 'RRU', unitPrice: PRICES.dynamoReadUnit },
    ];
  });
  return [
    { category: 'API Gateway', item: 'HTTP API requests', perEvent: API_REQUESTS_PER_EVENT, unit: 'request', unitPrice: PRICES.httpApiRequest },
    { category: 'Lambda', item: 'requests (all functions)', perEvent: perEvent(sum(usages.map(([, u]) => u.invocations))), unit: 'invocation', unitPrice: PRICES.lambdaRequest },
    { category: 'Lambda', item: `duration, arm64 ${m.memoryMb} MB`, perEvent: perEvent(gbSeconds), unit: 'GB-s', unitPrice: PRICES.lambdaArmGbSecond },
    { category: 'SQS', item: 'function sends and visibility changes', perEvent: perEvent(sum(functionCalls.filter((c) => c.service === 'SQS').map((c) => c.sqsRequests))), unit: '64 KB request', unitPrice: PRICES.sqsRequest },
    { category: 'SQS', item: 'event source receives and deletes', perEvent: perEvent(sum(sourceCalls.map((c) => c.sqsRequests))), unit: '64 KB request', unitPrice: PRICES.sqsRequest },
    { category: 'SQS', item: "event source idle long polls, at the run's rate all month", perEvent: IDLE_RECEIVES_PER_MONTH / eventsPerMonth(m), unit: 'request', unitPrice: PRICES.sqsRequest },
    ...dynamoLines.filter((line) => line.perEvent > 0),
    logIngestionLine('function lines (application and metric)', perEvent(logs.function)),
    logIngestionLine(`Lambda platform records (system log level ${systemLogLevels(m.logging)})`, perEvent(logs.platform)),
    logIngestionLine('API access log', perEvent(logs.access)),
  ];
};

const dollars = (value: number): string => `$${value.toFixed(value < 0.1 ? 3 : 2)}`;

const runCost = async (): Promise<BenchSection> => {
  const measurements = await measureWorkloads();
  const priced = measurements.map((m) => priceLines(usageOf(m)));
  const items = [...new Set(priced.flatMap((lines) => lines.map((line) => `${line.category}|${line.item}|${line.unit}`)))];
  const find = (lines: PricedLine[], key: string) => lines.find((line) => `${line.category}|${line.item}|${line.unit}` === key);
  const rows = items.map((key) => {
    const [category, item, unit] = key.split('|') as [string, string, string];
    return [
      `${category}: ${item}`,
      ...priced.flatMap((lines) => {
        const line = find(lines, key);
        return [line === undefined ? '-' : `${line.perEvent.toPrecision(3)} ${unit}`, line === undefined ? '-' : dollars(line.perMillionEvents)];
      }),
    ];
  });
  const totals = priced.map(totalPerMillion);
  rows.push(['total, AWS per 1M events', ...totals.flatMap((total) => ['', dollars(total)])]);
  for (const peer of measurements.map((m) => peerPrices(m.fanOut))[0] ?? []) {
    rows.push([`list price: ${peer.name}`, ...measurements.flatMap((m) => ['', dollars(peerPrices(m.fanOut).find((p) => p.name === peer.name)!.perMillionEvents)])]);
  }

  const designIndex = measurements.findIndex((m) => m.fanOut === DESIGN_FAN_OUT);
  const design = measurements[designIndex];
  const designTotal = totals[designIndex] ?? Number.NaN;
  const biggest = biggestLines(priced[designIndex] ?? [], 3);
  const deliveryLog = (priced[designIndex] ?? []).find((line) => line.item === 'writes, Deliveries table')?.perMillionEvents ?? 0;
  // Ingest fans out small tenants itself (up to the construct's default limit).
  const floor = requestFloorPerEvent(DESIGN_FAN_OUT, DESIGN_FAN_OUT <= settingDefault('inlineFanoutLimit'));
  const rate = design === undefined ? '' : `${design.perSecond} events a second (${(eventsPerMonth(design) / 1e6).toFixed(0)}M a month)`;
  const quietMonthExtra = design === undefined ? 0 : (IDLE_RECEIVES_PER_MONTH / QUIET_MONTH_EVENTS - IDLE_RECEIVES_PER_MONTH / eventsPerMonth(design)) * PRICES.sqsRequest * 1e6;
  const target: TargetCheck = {
    name: `AWS cost per 1M events, fan-out 10, delivery log on, at ${rate}`,
    target: `< ${dollars(TARGET_PER_MILLION)} (EventBridge API destinations)`,
    measured: dollars(designTotal),
    met: designTotal < TARGET_PER_MILLION,
    note: `biggest: ${biggest.map((line) => `${line.category} ${line.item} ${dollars(line.perMillionEvents)} (${Math.round(line.share * 100)}%)`).join('; ')}`,
  };
  return {
    id: 'cost',
    title: 'Cost per million events',
    method:
      'The usage measured by the requests benchmark (the same runs: 1 KB events, one per POST, 1% of deliveries retried 3 times) priced at ' +
      `${PRICES.region} list prices (${PRICES.source}). Every billed request counts: one HTTP API request per event; Lambda invocations as the local runtime made them; ` +
      'Lambda duration as invocations times the median duration of each function measured in the local runtime with one event in flight at a time (under load, ' +
      "every function and emulator shares this machine's cores and durations measure the queueing), rounded up to the millisecond, at the construct's memory size; " +
      'SQS requests per 64 KB chunk of payload, the event source\'s receives and deletes included, plus idle long polling as AWS does it; DynamoDB on-demand units from the ' +
      'sizes of the items written (1 KB units) and read (4 KB units); CloudWatch Logs from the lines the functions wrote (deployed log level and sampling), ' +
      "the platform records Lambda adds to each invocation as far as each function's system log level in the template admits them, one API access log line per " +
      "request in the stage's format from the template (with typical values), and 26 bytes per log event. KMS requests (the key's data keys are cached by SQS and DynamoDB) and the metrics' monthly charge do not grow with events and are left out.",
    columns: ['line item', ...measurements.flatMap((m) => [`fan-out ${m.fanOut} per event`, 'per 1M events'])],
    rows,
    targets: [target],
    notes: [
      `At fan-out 10 the delivery log costs ${dollars(deliveryLog)} per 1M events: one group-log write per event for the first attempts that succeed, ` +
        `and a record of its own per attempt of each retried delivery; without it the pipeline would cost ${dollars(designTotal - deliveryLog)}.`,
      `The floor of this data flow at fan-out 10 (every batch full; no Lambda duration, log line or retry): ${dollars(floor.requests * 1e6)} of requests and ` +
        `${dollars(floor.deliveryLog * 1e6)} of delivery log, ${dollars((floor.requests + floor.deliveryLog) * 1e6)} per 1M events. What the measured total has over it ` +
        'comes mostly from event-source batches of one or two messages at this rate (a receive, a delete and an invocation each), the retries, and the log lines.',
      `In a quiet month of 1M events (0.4 a second) idle polling weighs ${dollars(quietMonthExtra)} more per 1M events at fan-out 10 ` +
        `(${dollars(designTotal + quietMonthExtra)} in all); at this run's rate the queues are seldom empty and batches hold what arrived since the last receive, as at a quiet rate.`,
      `Prices: ${PRICES.region}, ${PRICES.asOf}; Svix and Hookdeck are list prices per message or event, whatever the number of endpoints.`,
      ...measurements.map((m) => `fan-out ${m.fanOut}: idle handler durations ${[...m.idleDurationMs].map(([name, ms]) => `${name} ${ms.toFixed(0)} ms`).join(', ')}.`),
    ],
  };
};

export const costBenchmark: Benchmark = { id: 'cost', title: 'Cost per million events', run: runCost };
