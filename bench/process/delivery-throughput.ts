import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ENV } from '../../lambdas/core/resource-env';
import {
  BODY_BYTES,
  CONCURRENCY,
  RECEIVER_URL_VARIABLE,
  REQUESTS_PER_RUN,
  RUNS,
  type Contender,
  type DeliveryWorkerResult,
} from './delivery-settings';
import { functionEnvironment } from './env';
import { callList, microseconds, perSecond, times } from './format';
import { runWorker } from './worker';
import { median, type Benchmark, type BenchSection } from '../report';

/** The target: one handler instance delivers at least this share of a bare client's requests per second. */
const MIN_RATIO = 0.8;

/** A receiver that reads each request and answers 200 at once, counting what it answered. */
const startReceiver = async (): Promise<{ url: string; answered: () => number; close: () => Promise<void> }> => {
  let answered = 0;
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      answered++;
      response.writeHead(200, { 'content-length': '0' });
      response.end();
    });
  });
  // Idle keep-alive connections stay open between runs, as a receiver under steady load keeps them.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    answered: () => answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** Why the handler falls short, from where its CPU goes: it runs one core flat out. */
const shortfall = (handlerCpu: number, coreCpu: number, bareCpu: number): string =>
  `CPU-bound: ${microseconds(handlerCpu)} of CPU per delivery against ${microseconds(bareCpu)} for the bare client; ` +
  `the delivery core with port fakes takes ${microseconds(coreCpu)}, so ${microseconds(handlerCpu - coreCpu)} per delivery ` +
  `are the AWS adapters (the SDK request for the group-log write); the core's own excess over the bare client is ` +
  `the work a webhook needs and a bare POST does not: the Standard Webhooks body and headers with an HMAC-SHA256 signature, ` +
  `the delivery decision and its record, and the checked sender`;

export const deliveryThroughput: Benchmark = {
  id: 'delivery-throughput',
  title: 'Delivery: throughput of one handler instance',
  async run(): Promise<BenchSection> {
    const receiver = await startReceiver();
    let result: DeliveryWorkerResult;
    try {
      result = await runWorker<DeliveryWorkerResult>(
        'delivery-worker.ts',
        functionEnvironment({
          // What a user sets to deliver to a receiver on this machine (WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOWED_PRIVATE_NETWORKS).
          [ENV.allowHttp]: 'true',
          [ENV.allowedPrivateNetworks]: '127.0.0.0/8',
          [RECEIVER_URL_VARIABLE]: receiver.url,
        }),
      );
    } finally {
      await receiver.close();
    }
    const rate = (name: Contender) => median(result.runs[name].map((run) => run.requestsPerSecond));
    const cpu = (name: Contender) => median(result.runs[name].map((run) => run.cpuMicrosPerRequest));
    const bare = rate('bareClient');
    const ratio = rate('handler') / bare;
    const row = (label: string, name: Contender): string[] => [
      label,
      perSecond(rate(name)),
      result.runs[name].map((run) => Math.round(run.requestsPerSecond)).join(', '),
      microseconds(cpu(name)),
      times(rate(name) / bare),
    ];
    return {
      id: 'delivery-throughput',
      title: 'Delivery: throughput of one handler instance',
      method:
        `A receiver on 127.0.0.1 (in the benchmark's own process) reads each request and answers 200 at once. In a second ` +
        `process, one instance of the delivery function's exported handler (middy, the SQS batch processor, message ` +
        `validation, the group delivery, signing, the SSRF-checked node:http sender of lambdas/aws/http-sender.ts, the ` +
        `DynamoDB stores, logs and metrics) is invoked one batch at a time, as Lambda invokes one execution environment, ` +
        `each batch putting ${CONCURRENCY} requests in flight to ${CONCURRENCY} subscriptions of the receiver: either one ` +
        `group message of all ${CONCURRENCY} (an event at fan-out ${CONCURRENCY}, what fan-out sends for an event's first ` +
        `run) or ${CONCURRENCY} group messages of one subscription each (events at fan-out 1). Each message is the first ` +
        `receive of a distinct event whose webhook body is ${BODY_BYTES} bytes. The handler builds its own DynamoDB and SQS ` +
        `clients at import with no seam to swap its stores, so the in-memory fakes sit one level lower: the clients run ` +
        `their real code and are answered from memory at their HTTP handler (the subscription reads, cached as in ` +
        `production, and one group-log write per group message), so the figure measures the handler, not DynamoDB Local. ` +
        `Beside it runs the delivery core: the same handler built by its factory (createDeliveryHandler) with the same ` +
        `settings, sender, logger and metrics, but the test kit's in-memory stores for every port of lambdas/core/ports.ts ` +
        `(one group per batch); and the reference: a bare node:http client on a keep-alive Agent ` +
        `keeping ${CONCURRENCY} POSTs of the same ${BODY_BYTES}-byte body always in flight. http to 127.0.0.1 is allowed the ` +
        `way a user allows it: ${ENV.allowHttp}=true and ${ENV.allowedPrivateNetworks}=127.0.0.0/8. After an uncounted ` +
        `warm-up of each, ${RUNS} runs of ${REQUESTS_PER_RUN.toLocaleString('en-US')} requests each take turns, each run ` +
        `starting with the next one; the figure is the median run. CPU per request is the client process's user + system ` +
        `time over the run.`,
      columns: ['client', `requests/s (median of ${RUNS})`, 'runs (requests/s)', 'CPU per request', 'ratio to bare client'],
      rows: [
        row('bare keep-alive client', 'bareClient'),
        row('delivery handler, one instance, a group of 10 per batch', 'handler'),
        row('delivery handler, one instance, 10 groups of one per batch', 'handlerSingles'),
        row('delivery core, handler over in-memory stores, a group of 10 per batch', 'core'),
      ],
      targets: [
        {
          name: 'Delivery handler vs bare keep-alive client (events at fan-out 10)',
          target: `>= ${MIN_RATIO}x at concurrency ${CONCURRENCY}`,
          measured: `${times(ratio)} (${perSecond(rate('handler'))} vs ${perSecond(bare)})`,
          met: ratio >= MIN_RATIO,
          ...(ratio >= MIN_RATIO ? {} : { note: shortfall(cpu('handler'), cpu('core'), cpu('bareClient')) }),
        },
      ],
      notes: [
        `AWS calls per delivery (handler, a group of 10 per batch): ${callList(result.handlerCallsPerMessage)}.`,
        `AWS calls per delivery (handler, groups of one): ${callList(result.singlesCallsPerMessage)}; at fan-out 1 every delivery is a group ` +
          `of its own with its own log write, so the handler reaches ${times(rate('handlerSingles') / bare)} of the bare client there.`,
        `The receiver answered ${receiver.answered().toLocaleString('en-US')} requests in all, warm-ups included.`,
        `Run on this machine's Node.js (${process.version}); the functions run on Lambda's nodejs22.x, whose V8 copies objects faster.`,
      ],
    };
  },
};
