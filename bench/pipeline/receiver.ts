import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a benchmark event carries in its data, so the receiver can tell events apart and time them. */
export interface BenchEventData {
  i: number;
  /** Epoch milliseconds when the client sent the event. */
  sentAt: number;
}

export interface ReceivedDelivery {
  webhookId: string;
  /** The `s` query parameter of the subscription's URL: which of the event's subscriptions this is. */
  subscription: number;
  data: BenchEventData;
  /** Epoch milliseconds. */
  receivedAt: number;
  /** 1 for the first attempt of this (event, subscription), 2 for its first retry... */
  attempt: number;
}

/** Decides the status of an attempt; 200 unless the benchmark wants failures. */
export type AnswerPolicy = (delivery: ReceivedDelivery) => number;

/**
 * A webhook endpoint on loopback that answers at once and records every successful delivery. One
 * server serves every subscription; each subscription's URL tells it which one it is.
 */
export class BenchReceiver {
  readonly delivered: ReceivedDelivery[] = [];
  private readonly attempts = new Map<string, number>();
  private answer: AnswerPolicy = () => 200;
  private server: Server | undefined;
  private base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const receivedAt = Date.now();
        const webhookId = String(req.headers['webhook-id'] ?? '');
        const subscription = Number(new URL(req.url ?? '/', 'http://receiver').searchParams.get('s') ?? 0);
        const key = `${webhookId}/${subscription}`;
        const attempt = (this.attempts.get(key) ?? 0) + 1;
        this.attempts.set(key, attempt);
        const { data } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: BenchEventData };
        const delivery = { webhookId, subscription, data, receivedAt, attempt };
        const status = this.answer(delivery);
        if (status >= 200 && status < 300) this.delivered.push(delivery);
        res.writeHead(status, { 'content-type': 'text/plain' }).end();
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  urlFor(subscription: number, path = 'hook'): string {
    return `${this.base}/${path}?s=${subscription}`;
  }

  /** Starts a new measurement: forgets what came before and answers by `policy` from now on. */
  reset(policy: AnswerPolicy = () => 200): void {
    this.delivered.length = 0;
    this.attempts.clear();
    this.answer = policy;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
