import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort } from 'node:worker_threads';
import type { BenchEventData, ReceivedDelivery } from './receiver';

/** What the benchmark's process tells the receiver's thread. */
export type ToReceiver = { reset: number; askForStatus: boolean } | { answer: number; status: number } | { close: true };

/** What the receiver's thread tells the benchmark's process. */
export type FromReceiver =
  | { listening: string }
  | { received: ReceivedDelivery; status: number; measurement: number }
  | { ask: number; received: ReceivedDelivery }
  | { closed: true };

/**
 * The receiver's HTTP server, in a worker thread of its own: it reads each request and stamps its
 * arrival on a thread that runs nothing else, as a receiver on another machine would. A request
 * is answered 200 at once unless the benchmark set an answer policy; then the status is asked of
 * the benchmark's process, which runs the policy.
 */
const port = parentPort!;
const send = (message: FromReceiver) => port.postMessage(message);
const attempts = new Map<string, number>();
const waitingForStatus = new Map<number, (status: number) => void>();
let askForStatus = false;
/** Which of the benchmark's measurements (resets) a delivery belongs to. */
let measurement = 0;
let nextQuestion = 1;

const statusOf = (received: ReceivedDelivery): Promise<number> | number => {
  if (!askForStatus) {
    send({ received, status: 200, measurement });
    return 200;
  }
  const ask = nextQuestion++;
  send({ ask, received });
  return new Promise((resolve) => waitingForStatus.set(ask, resolve));
};

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const receivedAt = Date.now();
    const webhookId = String(req.headers['webhook-id'] ?? '');
    const subscription = Number(new URL(req.url ?? '/', 'http://receiver').searchParams.get('s') ?? 0);
    const key = `${webhookId}/${subscription}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    const { data } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: BenchEventData };
    void Promise.resolve(statusOf({ webhookId, subscription, data, receivedAt, attempt })).then((status) =>
      res.writeHead(status, { 'content-type': 'text/plain' }).end(),
    );
  });
});
server.keepAliveTimeout = 60_000;

port.on('message', (message: ToReceiver) => {
  if ('reset' in message) {
    attempts.clear();
    askForStatus = message.askForStatus;
    measurement = message.reset;
  } else if ('answer' in message) {
    const resolve = waitingForStatus.get(message.answer);
    waitingForStatus.delete(message.answer);
    resolve?.(message.status);
  } else {
    server.closeAllConnections();
    server.close(() => send({ closed: true }));
  }
});

server.listen(0, '127.0.0.1', () => send({ listening: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
