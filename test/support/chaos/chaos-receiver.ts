import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { seededRandom } from '../fault-proxy';
import { Receiver } from '../receiver';

/**
 * A webhook receiver that fails at random in every way a receiver can, on a seeded schedule, and
 * keeps count of what it saw. Real sockets on 127.0.0.1: a TCP listener decides per connection
 * whether to reset it as soon as a request starts arriving (without reading it), hands the others
 * to an HTTP server, which reads each request in full, records it (signature checked on arrival,
 * as a receiver would), and then answers it the way the draw says:
 *
 * - succeeding: `ok` (200 at once), `slow` (200 after a delay within the sender's timeout),
 *   `huge_body` (200 with an 8 MB body);
 * - failing: `server_error` (500, 502 or 504), `throttled_seconds` (429, `Retry-After` in seconds),
 *   `unavailable_date` (503, `Retry-After` as an HTTP date), `never_answers` (reads, stays silent),
 *   `reset_after_read` (reads, then resets the connection), `trickle` (200 and a body one byte at
 *   a time, past the sender's timeout);
 * - `gone` (410) for every request from `goneFrom` on, so the subscription gets disabled.
 *
 * With `startsDown`, nothing listens on its port until `up()` is called: connections are refused
 * (the sender makes no request) until the receiver comes up. (A listener that closes and opens
 * again mid-run would not do: connections waiting in its accept queue when it closes are reset
 * by the kernel after the sender wrote to them, unseen by the receiver and so uncountable.)
 */

export const REQUEST_BEHAVIOURS = [
  'ok',
  'slow',
  'huge_body',
  'server_error',
  'throttled_seconds',
  'unavailable_date',
  'never_answers',
  'reset_after_read',
  'trickle',
  'gone',
] as const;
export type RequestBehaviour = (typeof REQUEST_BEHAVIOURS)[number];

export const SUCCEEDING: ReadonlySet<RequestBehaviour> = new Set(['ok', 'slow', 'huge_body']);

/** Relative weights among successes, and among failures. */
const SUCCESS_WEIGHTS: ReadonlyArray<[RequestBehaviour, number]> = [
  ['ok', 80],
  ['slow', 14],
  ['huge_body', 6],
];
const FAILURE_WEIGHTS: ReadonlyArray<[RequestBehaviour, number]> = [
  ['server_error', 26],
  ['throttled_seconds', 14],
  ['unavailable_date', 14],
  ['never_answers', 12],
  ['reset_after_read', 18],
  ['trickle', 16],
];
const SERVER_ERRORS = [500, 500, 502, 504] as const;
const HUGE_BODY_BYTES = 8 * 1024 * 1024;
const TRICKLE_INTERVAL_MS = 150;
/** The sender closes idle pooled connections after 4 s; the receiver must never close one first. */
const KEEP_ALIVE_MS = 60_000;

export interface ChaosReceiverOptions {
  readonly name: string;
  readonly seed: number;
  /** Share of requests answered with a failure; the rest succeed (some slowly, some with a huge body). */
  readonly failureShare: number;
  /** Share of new connections reset once the request starts arriving, unread. */
  readonly resetUnreadShare: number;
  /** From this request on (1-based, in arrival order) every request is answered 410 Gone. */
  readonly goneFrom?: number;
  /** Its port is reserved but nothing listens on it until `up()`: connections are refused. */
  readonly startsDown?: boolean;
  /** The sender's timeout per attempt: `slow` stays well within it, `trickle` outlasts it. */
  readonly attemptTimeoutMs: number;
}

/** One request the receiver read in full. */
export interface SeenRequest {
  readonly webhookId: string;
  readonly body: string;
  readonly receivedAt: number;
  readonly behaviour: RequestBehaviour;
  /** Whether the Standard Webhooks signature verified with the subscription's secret on arrival. */
  readonly verified: boolean;
  readonly verifyError?: string;
}

export interface ChaosReceiverCounts {
  /** TCP connections accepted. */
  connections: number;
  /** Connections reset as soon as a request started arriving, the request never read. */
  resetUnread: number;
  /** Connections picked for a reset that closed before any byte arrived (nothing was sent on them). */
  closedEmpty: number;
  /** Requests read in full, by how they were answered. */
  byBehaviour: Record<RequestBehaviour, number>;
}

/**
 * A loopback port nothing listens on, below the range the kernel hands out to outgoing
 * connections: a port taken with `listen(0)` and closed again may become the local port of some
 * keep-alive connection (to the emulators, say), and then nothing can listen on it until that
 * connection closes. Checked free by listening on it once.
 */
const reservedPort = async (): Promise<number> => {
  let ephemeralFrom = 32_768;
  try {
    ephemeralFrom = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralFrom;
  } catch {
    // Not Linux: the usual default.
  }
  const low = Math.max(1_024, ephemeralFrom - 12_000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (ephemeralFrom - low));
    const free = await new Promise<boolean>((resolve) => {
      const probe = createNetServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port below the ephemeral range');
};

export class ChaosReceiver {
  readonly requests: SeenRequest[] = [];
  readonly counts: ChaosReceiverCounts = {
    connections: 0,
    resetUnread: 0,
    closedEmpty: 0,
    byBehaviour: Object.fromEntries(REQUEST_BEHAVIOURS.map((b) => [b, 0])) as Record<RequestBehaviour, number>,
  };
  /** The subscription's secret, set once it is created (before any event is published). */
  secret: string | undefined;

  private readonly random: () => number;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly http = createHttpServer((request, response) => this.onRequest(request, response));
  private readonly listener = createNetServer((socket) => this.onConnection(socket));
  private port = 0;
  private closed = false;

  private constructor(readonly options: ChaosReceiverOptions) {
    this.random = seededRandom(options.seed);
    this.http.keepAliveTimeout = KEEP_ALIVE_MS;
    this.http.headersTimeout = KEEP_ALIVE_MS + 1_000;
    this.http.requestTimeout = 0;
  }

  static async start(options: ChaosReceiverOptions): Promise<ChaosReceiver> {
    const receiver = new ChaosReceiver(options);
    if (options.startsDown) receiver.port = await reservedPort();
    else await receiver.listen(0);
    return receiver;
  }

  /** Starts listening on the port kept for a receiver that starts down. */
  async up(): Promise<void> {
    if (this.listener.listening || this.closed) return;
    await this.listen(this.port);
  }

  get name(): string {
    return this.options.name;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        this.listener.off('listening', onListening);
        reject(error);
      };
      const onListening = () => {
        this.listener.off('error', onError);
        this.port = (this.listener.address() as AddressInfo).port;
        resolve();
      };
      this.listener.once('error', onError);
      this.listener.once('listening', onListening);
      this.listener.listen(port, '127.0.0.1');
    });
  }

  private later(ms: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, ms);
    this.timers.add(timer);
  }

  private onConnection(socket: Socket): void {
    this.counts.connections += 1;
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    if (this.random() >= this.options.resetUnreadShare) {
      this.http.emit('connection', socket);
      return;
    }
    // Reset as soon as bytes arrive, before anything reads them: the receiver cannot tell which
    // event they were, only that a request was sent on a connection it dropped.
    let reset = false;
    socket.once('readable', () => {
      reset = true;
      this.counts.resetUnread += 1;
      socket.resetAndDestroy();
    });
    socket.once('close', () => {
      if (!reset) this.counts.closedEmpty += 1;
    });
  }

  private draw(): RequestBehaviour {
    if (this.options.goneFrom !== undefined && this.requests.length + 1 >= this.options.goneFrom) return 'gone';
    const weights = this.random() < this.options.failureShare ? FAILURE_WEIGHTS : SUCCESS_WEIGHTS;
    const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.random() * total;
    for (const [behaviour, weight] of weights) {
      roll -= weight;
      if (roll < 0) return behaviour;
    }
    return weights[0]![0];
  }

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const behaviour = this.draw();
      this.requests.push({ ...this.check(request, body), body, receivedAt: Date.now(), behaviour });
      this.counts.byBehaviour[behaviour] += 1;
      this.answer(behaviour, request, response);
    });
  }

  private check(request: IncomingMessage, body: string): Pick<SeenRequest, 'webhookId' | 'verified' | 'verifyError'> {
    const webhookId = String(request.headers['webhook-id'] ?? '');
    if (this.secret === undefined) return { webhookId, verified: false, verifyError: 'no secret known yet' };
    try {
      Receiver.verify({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body, receivedAt: Date.now() }, this.secret);
      return { webhookId, verified: true };
    } catch (error) {
      return { webhookId, verified: false, verifyError: (error as Error).message };
    }
  }

  private answer(behaviour: RequestBehaviour, request: IncomingMessage, response: ServerResponse): void {
    const timeout = this.options.attemptTimeoutMs;
    switch (behaviour) {
      case 'ok':
        return void response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      case 'slow':
        return this.later(timeout * (0.1 + 0.35 * this.random()), () => response.writeHead(200).end('ok, eventually'));
      case 'huge_body':
        return this.streamHugeBody(response);
      case 'server_error': {
        const status = SERVER_ERRORS[Math.floor(this.random() * SERVER_ERRORS.length)]!;
        return void response.writeHead(status, { 'content-type': 'text/plain' }).end('upstream unavailable');
      }
      case 'throttled_seconds':
        return void response.writeHead(429, { 'retry-after': String(1 + Math.floor(this.random() * 3)) }).end();
      case 'unavailable_date': {
        const at = new Date(Date.now() + 2_000 + Math.floor(this.random() * 2_000));
        return void response.writeHead(503, { 'retry-after': at.toUTCString() }).end();
      }
      case 'gone':
        return void response.writeHead(410).end('gone');
      case 'never_answers':
        return; // the sender's timeout ends it
      case 'reset_after_read':
        return void request.socket.resetAndDestroy();
      case 'trickle': {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.flushHeaders();
        const timer = setInterval(() => response.write('.'), TRICKLE_INTERVAL_MS);
        this.timers.add(timer);
        response.on('close', () => {
          clearInterval(timer);
          this.timers.delete(timer);
        });
        return;
      }
    }
  }

  private streamHugeBody(response: ServerResponse): void {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(HUGE_BODY_BYTES) });
    let sent = 0;
    let closed = false;
    response.on('close', () => (closed = true));
    const pump = () => {
      while (!closed && sent < HUGE_BODY_BYTES) {
        sent += chunk.length;
        if (!response.write(chunk)) return void response.once('drain', pump);
      }
      if (!closed) response.end();
    };
    pump();
  }

  /** Requests per webhook-id. */
  requestsById(): Map<string, SeenRequest[]> {
    const byId = new Map<string, SeenRequest[]>();
    for (const request of this.requests) {
      const list = byId.get(request.webhookId);
      if (list === undefined) byId.set(request.webhookId, [request]);
      else list.push(request);
    }
    return byId;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => (this.listener.listening ? this.listener.close(() => resolve()) : resolve()));
  }
}
