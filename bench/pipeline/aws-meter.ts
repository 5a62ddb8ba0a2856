import diagnostics from 'node:diagnostics_channel';
import { Agent, createServer, request as httpRequest, type ClientRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionObserver } from '../../local/runtime';
import { billedUnitsOf, type BilledUnits, type WireCall } from '../cost-model';

/** Who made a request: the functions' own SDK clients, or the SQS event source polling for them. */
export type AwsCaller = 'function' | 'event source';

export interface AwsCall extends BilledUnits {
  caller: AwsCaller;
  service: WireCall['service'];
  operation: string;
  /** The table name, or the queue's name. */
  resource: string;
  /** Milliseconds (performance.now()) when the request left and when its answer was back. */
  startedAt: number;
  endedAt: number;
  /** Only for event-source receives: whether any message came back. */
  empty?: boolean;
  /** Only for function sends: how many messages the request carried. */
  messages?: number;
  /** Only for function sends: how many of those were group messages (an event's first run, up to ten deliveries each). */
  groupMessages?: number;
  /** Only for function sends: the deliveries the messages stand for (a group counts its subscriptions). */
  deliveries?: number;
  /** Only for DynamoDB reads: the items the answer returned. */
  itemsRead?: number;
}

const LOOPBACK = '127.0.0.1';
const NEWLINE = 0x0a;

/** `AmazonSQS.SendMessage` -> SQS SendMessage; `DynamoDB_20120810.PutItem` -> DynamoDB PutItem. */
const parseTarget = (target: string | undefined): { service: WireCall['service']; operation: string } | undefined => {
  const [prefix, operation] = (target ?? '').split('.');
  if (operation === undefined) return undefined;
  if (prefix === 'AmazonSQS') return { service: 'SQS', operation };
  if (prefix?.startsWith('DynamoDB')) return { service: 'DynamoDB', operation };
  return undefined;
};

const parseJson = (body: Buffer): unknown => {
  try {
    return body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
};

const resourceOf = (request: unknown): string => {
  const fields = (request ?? {}) as { TableName?: string; QueueUrl?: string; RequestItems?: Record<string, unknown> };
  return fields.TableName ?? fields.QueueUrl?.split('/').at(-1) ?? Object.keys(fields.RequestItems ?? {})[0] ?? '';
};

const readAll = (stream: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });

/** The items a DynamoDB read returned (GetItem, BatchGetItem, Query, Scan); undefined for any other request. */
const itemsReadOf = (operation: string, response: unknown): number | undefined => {
  const answer = (response ?? {}) as { Item?: unknown; Items?: unknown[]; Responses?: Record<string, unknown[]> };
  if (operation === 'GetItem') return answer.Item === undefined ? 0 : 1;
  if (operation === 'BatchGetItem') return Object.values(answer.Responses ?? {}).reduce((sum, items) => sum + items.length, 0);
  if (operation === 'Query' || operation === 'Scan') return (answer.Items ?? []).length;
  return undefined;
};

/** An empty ReceiveMessage answer is a bare JSON object; any message makes it hundreds of bytes. */
const EMPTY_RECEIVE_MAX_BYTES = 64;

/** The message bodies a send carries; undefined for any other request. */
const sentBodies = (operation: string, request: unknown): string[] | undefined => {
  if (operation === 'SendMessage') return [String((request as { MessageBody?: string }).MessageBody ?? '')];
  if (operation !== 'SendMessageBatch') return undefined;
  return ((request as { Entries?: Array<{ MessageBody?: string }> }).Entries ?? []).map((entry) => String(entry.MessageBody ?? ''));
};

/** How many deliveries a message body stands for, and whether it is a group. */
const deliveriesOf = (body: string): { deliveries: number; group: boolean } => {
  const message = parseJson(Buffer.from(body)) as { subscriptions?: unknown[]; subscriptionId?: string } | undefined;
  if (Array.isArray(message?.subscriptions)) return { deliveries: message.subscriptions.length, group: true };
  return { deliveries: message?.subscriptionId === undefined ? 0 : 1, group: false };
};

/**
 * Counts every AWS request of the pipeline on the wire, which is what AWS bills (SDK retries
 * included, each one a request). The functions reach the emulators through a forwarding proxy
 * per service (their endpoints are set through the runtime's function overrides), so each request
 * and answer is read whole: operation, table or queue, item and payload sizes. The event source's
 * own polling runs in this process with its own client; Node's HTTP diagnostics channels see
 * those requests without touching the runtime.
 */
export class AwsMeter {
  private calls: AwsCall[] = [];
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 128 });
  private readonly proxies: Array<{ service: WireCall['service']; server: Server; upstream: Promise<URL>; connect: (url: string) => void }> = [];
  private sqsUpstreamPort: number | undefined;
  private readonly onRequestStart = (message: unknown) => this.observeEventSource((message as { request: ClientRequest }).request);

  /** Starts one proxy per service; returns the endpoints the functions should be given. */
  async start(): Promise<{ sqsEndpoint: string; dynamoEndpoint: string }> {
    const [sqsEndpoint, dynamoEndpoint] = await Promise.all([this.startProxy('SQS'), this.startProxy('DynamoDB')]);
    diagnostics.subscribe('http.client.request.start', this.onRequestStart);
    return { sqsEndpoint, dynamoEndpoint };
  }

  /** Points the proxies at the emulators once they run; requests that came earlier wait for it. */
  connect(upstreams: { sqsEndpoint: string; dynamoEndpoint: string }): void {
    this.sqsUpstreamPort = Number(new URL(upstreams.sqsEndpoint).port);
    for (const proxy of this.proxies) proxy.connect(proxy.service === 'SQS' ? upstreams.sqsEndpoint : upstreams.dynamoEndpoint);
  }

  async stop(): Promise<void> {
    diagnostics.unsubscribe('http.client.request.start', this.onRequestStart);
    await Promise.all(
      this.proxies.map(
        ({ server }) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
    this.agent.destroy();
  }

  reset(): void {
    this.calls = [];
  }

  snapshot(): AwsCall[] {
    return [...this.calls];
  }

  /** When the pipeline last did real work: any function request, or a receive that found messages. */
  lastWorkAt(): number {
    let last = 0;
    for (const call of this.calls) if (call.empty !== true && call.endedAt > last) last = call.endedAt;
    return last;
  }

  private startProxy(service: WireCall['service']): Promise<string> {
    let connect!: (url: string) => void;
    const upstream = new Promise<URL>((resolve) => (connect = (url) => resolve(new URL(url))));
    const server = createServer((req, res) => {
      this.forward(service, req, upstream).then(
        ({ status, headers, body }) => {
          res.writeHead(status, headers);
          res.end(body);
        },
        (error: unknown) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(String(error));
        },
      );
    });
    server.keepAliveTimeout = 60_000;
    this.proxies.push({ service, server, upstream, connect });
    return new Promise((resolve) => server.listen(0, LOOPBACK, () => resolve(`http://${LOOPBACK}:${(server.address() as AddressInfo).port}`)));
  }

  private async forward(service: WireCall['service'], req: IncomingMessage, upstream: Promise<URL>) {
    const requestBody = await readAll(req);
    const target = await upstream;
    const startedAt = performance.now();
    const answer = await new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent: this.agent },
        resolve,
      );
      outgoing.on('error', reject);
      outgoing.end(requestBody);
    });
    const responseBody = await readAll(answer);
    const operation = parseTarget(req.headers['x-amz-target'] as string | undefined)?.operation ?? 'Unknown';
    const request = parseJson(requestBody);
    const wire: WireCall = { service, operation, request, response: parseJson(responseBody), requestBytes: requestBody.length, responseBytes: responseBody.length };
    const sent = sentBodies(operation, request)?.map(deliveriesOf);
    const itemsRead = service === 'DynamoDB' ? itemsReadOf(operation, wire.response) : undefined;
    this.calls.push({
      caller: 'function',
      service,
      operation,
      resource: resourceOf(request),
      startedAt,
      endedAt: performance.now(),
      ...billedUnitsOf(wire),
      ...(itemsRead === undefined ? {} : { itemsRead }),
      ...(sent === undefined
        ? {}
        : {
            messages: sent.length,
            groupMessages: sent.filter((body) => body.group).length,
            deliveries: sent.reduce((sum, body) => sum + body.deliveries, 0),
          }),
    });
    return { status: answer.statusCode ?? 502, headers: answer.headers, body: responseBody };
  }

  /** The event source's requests: this process's own SQS calls, not the proxies' forwarded ones. */
  private observeEventSource(request: ClientRequest): void {
    if (this.sqsUpstreamPort === undefined || (request as ClientRequest & { agent?: unknown }).agent === this.agent) return;
    const port = Number(String(request.getHeader('host') ?? '').split(':')[1]);
    if (port !== this.sqsUpstreamPort) return;
    const parsed = parseTarget(request.getHeader('x-amz-target') as string | undefined);
    if (parsed === undefined) return;
    const startedAt = performance.now();
    request.once('response', (response: IncomingMessage) => {
      const responseBytes = Number(response.headers['content-length'] ?? 0);
      const wire: WireCall = { ...parsed, request: undefined, response: undefined, requestBytes: 0, responseBytes };
      this.calls.push({
        caller: 'event source',
        ...parsed,
        resource: '',
        startedAt,
        endedAt: performance.now(),
        ...billedUnitsOf(wire),
        ...(parsed.operation === 'ReceiveMessage' ? { empty: responseBytes <= EMPTY_RECEIVE_MAX_BYTES } : {}),
      });
    });
  }
}

export interface FunctionUsage {
  invocations: number;
  durationsMs: number[];
  outputBytes: number;
  outputLines: number;
}

/** Lambda's side of the bill, per function: invocations, their durations, and the bytes they log. */
export class FunctionMeter implements FunctionObserver {
  private usage = new Map<string, FunctionUsage>();

  invoked(functionName: string, durationMs: number): void {
    const usage = this.of(functionName);
    usage.invocations += 1;
    usage.durationsMs.push(durationMs);
  }

  output(functionName: string, chunk: Buffer): void {
    const usage = this.of(functionName);
    usage.outputBytes += chunk.length;
    for (const byte of chunk) if (byte === NEWLINE) usage.outputLines += 1;
  }

  reset(): void {
    this.usage = new Map();
  }

  snapshot(): Map<string, FunctionUsage> {
    return new Map([...this.usage].map(([name, usage]) => [name, { ...usage, durationsMs: [...usage.durationsMs] }]));
  }

  private of(functionName: string): FunctionUsage {
    let usage = this.usage.get(functionName);
    if (usage === undefined) {
      usage = { invocations: 0, durationsMs: [], outputBytes: 0, outputLines: 0 };
      this.usage.set(functionName, usage);
    }
    return usage;
  }
}
