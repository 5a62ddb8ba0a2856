import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fault-injecting HTTP proxy for the AWS emulators. The functions under test are pointed at it
 * (AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_DYNAMODB), it forwards to the real emulator endpoint,
 * and on a deterministic schedule it breaks some calls instead:
 *
 * - `error`: answers 500 `{"__type":"InternalServerError"}` without forwarding (nothing happened);
 * - `throttle`: answers 400 `{"__type":"ThrottlingException"}` without forwarding;
 * - `reset`: destroys the client's socket without forwarding (nothing happened);
 * - `lost`: forwards, lets the emulator apply the call, then destroys the client's socket instead
 *   of answering (it happened, but the caller cannot know).
 *
 * Faults are planned per SDK call, not per HTTP request: the SDK sends `amz-sdk-invocation-id`
 * (the same on every retry of one call) and `amz-sdk-request: attempt=N; max=M`. When a call is
 * first seen, a seeded PRNG decides how many of its attempts fail: most calls none, some the first
 * one or two (the SDK's own retries recover), and some every attempt (the SDK gives up and the
 * error reaches the handler). The plan is a pure function of the seed and of the order in which
 * calls arrive, so a run is reproducible up to the interleaving of concurrent calls.
 */

export type FaultKind = 'error' | 'throttle' | 'reset' | 'lost';

export interface FaultProxyOptions {
  /** Where calls go when they are not broken: the emulator's endpoint. */
  readonly target: string;
  /** For messages and stats. */
  readonly name: string;
  readonly seed: number;
  /** Share of calls whose first attempt fails, the SDK retrying successfully. @default 0.06 */
  readonly transientRate?: number;
  /** Share of calls whose first two attempts fail. @default 0.02 */
  readonly twiceRate?: number;
  /** Share of calls whose every attempt fails, so the error reaches the handler. @default 0.025 */
  readonly exhaustingRate?: number;
  /** Relative weights of the fault kinds. @default error 4, throttle 2, reset 2, lost 2 */
  readonly weights?: Partial<Record<FaultKind, number>>;
  /**
   * Sees every call that reached the emulator: answered, or applied with its answer lost. For a
   * harness that needs to know what a function received from a queue, deleted, or may have sent twice.
   */
  readonly observe?: (call: ObservedCall) => void;
}

export interface ObservedCall {
  /** `X-Amz-Target`, e.g. `AmazonSQS.ReceiveMessage`. */
  readonly operation: string;
  readonly requestBody: string;
  readonly status: number;
  /** Empty when the answer was lost. */
  readonly responseBody: string;
  /** Applied, but the caller never got the answer (a `lost` fault). */
  readonly lost: boolean;
}

export interface FaultProxyStats {
  /** HTTP requests that could be broken: seen while enabled, or belonging to an aimed call. */
  requests: number;
  /** SDK calls (invocation ids) planned by the random schedule, i.e. seen while enabled. */
  calls: number;
  /** Calls with at least one failed attempt, aimed ones (`injectNext`) included. */
  faultedCalls: number;
  /** Randomly planned calls every attempt of which failed: the SDK gave up on them. */
  exhaustedCalls: number;
  /** Calls broken by `injectNext`. */
  aimedCalls: number;
  /** Injected faults by kind. */
  byKind: Record<FaultKind, number>;
  /** Injected faults by operation (`X-Amz-Target`, e.g. `DynamoDB_20120810.PutItem`). */
  byOperation: Record<string, number>;
  /** `lost` faults by operation: calls applied whose answer never reached the caller. */
  lostByOperation: Record<string, number>;
}

export interface FaultProxy {
  readonly url: string;
  /** Random faults are injected only while enabled; disabled, the proxy forwards everything else. */
  enabled: boolean;
  readonly stats: FaultProxyStats;
  /**
   * Breaks the next SDK call (enabled or not) whose operation and request body `match`: attempt N
   * gets `kinds[N-1]` and later attempts pass, or with `everyAttempt` every attempt fails (the last
   * kind repeating), whatever the client's maxAttempts (the SDK's default is 3 for SQS, 4 for
   * DynamoDB). Resolves with the operation once such a call was broken, for tests that aim a fault
   * at one step.
   */
  injectNext(
    match: (operation: string, body: string) => boolean,
    kinds: readonly FaultKind[],
    options?: { everyAttempt?: boolean },
  ): Promise<string>;
  close(): Promise<void>;
}

/** mulberry32: a tiny, fast, seedable PRNG; good enough to spread faults, reproducible by seed. */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

interface CallPlan {
  /** Attempts 1..failAttempts fail (Infinity: all of them). */
  failAttempts: number;
  kinds: FaultKind[];
}

const KINDS: readonly FaultKind[] = ['error', 'throttle', 'reset', 'lost'];
const DEFAULT_WEIGHTS: Record<FaultKind, number> = { error: 4, throttle: 2, reset: 2, lost: 2 };
const MAX_PLANNED_ATTEMPTS = 8;
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';

const attemptOf = (header: string | string[] | undefined): number => {
  const match = /attempt=(\d+)/.exec(String(header ?? ''));
  return match ? Number(match[1]) : 1;
};

export const startFaultProxy = async (options: FaultProxyOptions): Promise<FaultProxy> => {
  const random = seededRandom(options.seed);
  const weights = { ...DEFAULT_WEIGHTS, ...(options.weights ?? {}) };
  const totalWeight = KINDS.reduce((sum, kind) => sum + weights[kind], 0);
  const transient = options.transientRate ?? 0.06;
  const twice = options.twiceRate ?? 0.02;
  const exhausting = options.exhaustingRate ?? 0.025;
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const plans = new Map<string, CallPlan>();
  const sockets = new Set<Socket>();
  const stats: FaultProxyStats = {
    requests: 0,
    calls: 0,
    faultedCalls: 0,
    exhaustedCalls: 0,
    aimedCalls: 0,
    byKind: { error: 0, throttle: 0, reset: 0, lost: 0 },
    byOperation: {},
    lostByOperation: {},
  };
  let enabled = false;
  const aimed: Array<{
    match: (operation: string, body: string) => boolean;
    kinds: readonly FaultKind[];
    everyAttempt: boolean;
    hit: (operation: string) => void;
  }> = [];

  const pickKind = (): FaultKind => {
    let roll = random() * totalWeight;
    for (const kind of KINDS) {
      roll -= weights[kind];
      if (roll < 0) return kind;
    }
    return 'error';
  };

  const planCall = (): CallPlan => {
    const roll = random();
    const failAttempts = roll < exhausting ? Infinity : roll < exhausting + twice ? 2 : roll < exhausting + twice + transient ? 1 : 0;
    const kinds = failAttempts === 0 ? [] : Array.from({ length: Math.min(failAttempts, MAX_PLANNED_ATTEMPTS) }, pickKind);
    stats.calls += 1;
    if (failAttempts > 0) stats.faultedCalls += 1;
    if (failAttempts === Infinity) stats.exhaustedCalls += 1;
    return { failAttempts, kinds };
  };

  const operationOf = (request: IncomingMessage) => String(request.headers['x-amz-target'] ?? `${request.method} ${request.url}`);

  /** The fault for this HTTP request, if any: decided by its call's plan and its attempt number. */
  const faultFor = (request: IncomingMessage, body: Buffer): FaultKind | undefined => {
    const invocation = String(request.headers['amz-sdk-invocation-id'] ?? `no-id-${stats.requests}`);
    let plan = plans.get(invocation);
    if (plan === undefined && aimed.length > 0) {
      const operation = operationOf(request);
      const index = aimed.findIndex((a) => a.match(operation, body.toString('utf8')));
      if (index >= 0) {
        const [target] = aimed.splice(index, 1);
        plan = { failAttempts: target!.everyAttempt ? Infinity : target!.kinds.length, kinds: [...target!.kinds] };
        plans.set(invocation, plan);
        stats.faultedCalls += 1;
        stats.aimedCalls += 1;
        target!.hit(operation);
      }
    }
    if (plan === undefined && !enabled) return undefined;
    stats.requests += 1;
    if (plan === undefined) {
      plan = planCall();
      plans.set(invocation, plan);
    }
    const attempt = attemptOf(request.headers['amz-sdk-request']);
    if (attempt > plan.failAttempts) return undefined;
    return plan.kinds[Math.min(attempt, plan.kinds.length) - 1] ?? 'error';
  };

  const count = (kind: FaultKind, request: IncomingMessage) => {
    stats.byKind[kind] += 1;
    const operation = operationOf(request);
    stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
    if (kind === 'lost') stats.lostByOperation[operation] = (stats.lostByOperation[operation] ?? 0) + 1;
  };

  const answerError = (response: ServerResponse, status: number, type: string) => {
    const body = JSON.stringify({ __type: type, message: `injected by the ${options.name} fault proxy` });
    response.writeHead(status, {
      'content-type': JSON_CONTENT_TYPE,
      'content-length': String(Buffer.byteLength(body)),
      'x-amzn-requestid': `injected-${stats.requests}`,
    });
    response.end(body);
  };

  const forward = (request: IncomingMessage, body: Buffer, onResponse: (upstream: IncomingMessage) => void, onError: () => void) => {
    const upstream = httpRequest(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: target.host, 'content-length': String(body.length) },
        agent,
      },
      onResponse,
    );
    upstream.on('error', onError);
    upstream.end(body);
  };

  const handle = (request: IncomingMessage, response: ServerResponse, body: Buffer) => {
    const fault = faultFor(request, body);
    if (fault !== undefined) count(fault, request);
    switch (fault) {
      case 'error':
        return answerError(response, 500, 'InternalServerError');
      case 'throttle':
        return answerError(response, 400, 'ThrottlingException');
      case 'reset':
        return request.socket.destroy();
      case 'lost':
        // The emulator applies the call; its answer never reaches the caller.
        return forward(
          request,
          body,
          (upstream) => {
            upstream.resume();
            upstream.on('end', () => {
              options.observe?.({ operation: operationOf(request), requestBody: body.toString('utf8'), status: upstream.statusCode ?? 0, responseBody: '', lost: true });
              request.socket.destroy();
            });
          },
          () => request.socket.destroy(),
        );
      default:
        return forward(
          request,
          body,
          (upstream) => {
            response.writeHead(upstream.statusCode ?? 502, upstream.headers);
            if (options.observe !== undefined) {
              const chunks: Buffer[] = [];
              upstream.on('data', (chunk: Buffer) => chunks.push(chunk));
              upstream.on('end', () =>
                options.observe!({
                  operation: operationOf(request),
                  requestBody: body.toString('utf8'),
                  status: upstream.statusCode ?? 0,
                  responseBody: Buffer.concat(chunks).toString('utf8'),
                  lost: false,
                }),
              );
            }
            upstream.pipe(response);
          },
          () => request.socket.destroy(),
        );
    }
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handle(request, response, Buffer.concat(chunks)));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get enabled() {
      return enabled;
    },
    set enabled(value: boolean) {
      enabled = value;
    },
    stats,
    injectNext: (match, kinds, { everyAttempt = false } = {}) =>
      new Promise<string>((hit) => void aimed.push({ match, kinds, everyAttempt, hit })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
};
