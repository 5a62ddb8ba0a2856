import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

export type Responder = (request: ReceivedRequest, index: number) => { status: number; headers?: Record<string, string>; body?: string };

/** A real HTTP receiver on 127.0.0.1 that records what it gets and answers as scripted. */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private server: Server | undefined;
  private port = 0;

  constructor(private responder: Responder = () => ({ status: 200 })) {}

  static async start(responder?: Responder): Promise<Receiver> {
    const receiver = new Receiver(responder);
    await receiver.listen();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  respondWith(responder: Responder): void {
    this.responder = responder;
  }

  private listen(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: ReceivedRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAt: Date.now(),
        };
        const index = this.requests.push(request) - 1;
        const answer = this.responder(request, index);
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      });
    });
    return new Promise((resolve) => {
      this.server!.listen(0, '127.0.0.1', () => {
        this.port = (this.server!.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Verifies a request with the reference Standard Webhooks library; throws if it does not verify. */
  static verify(request: ReceivedRequest, secret: string): unknown {
    const headers = {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    };
    return new Webhook(secret).verify(request.body, headers);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Receivers started by one test file, closed together when it ends. */
export class ReceiverPool {
  private readonly started: Receiver[] = [];

  async start(responder?: Responder): Promise<Receiver> {
    const receiver = await Receiver.start(responder);
    this.started.push(receiver);
    return receiver;
  }

  closeAll = async (): Promise<void> => {
    await Promise.all(this.started.splice(0).map((receiver) => receiver.close()));
  };
}
