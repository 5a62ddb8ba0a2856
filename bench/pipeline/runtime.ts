import { generateApiKey } from '../../lambdas/core/api-keys';
import { ENV } from '../../lambdas/core/resource-env';
import { formatSetting, settingDefault } from '../../lambdas/core/settings';
import { readLocalConfig } from '../../local/local-config';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { functionsOf } from '../../local/template/functions';
import type { JsonObject } from '../../local/template/document';
import { synthTemplate } from '../../local/template/synth';
import { STACK_OUTPUTS } from '../../lib/stack-outputs';
import { deployedLogging, type DeployedLogging } from '../log-ingestion';
import { AwsMeter, FunctionMeter } from './aws-meter';
import { BenchReceiver, type BenchEventData } from './receiver';

/** The local pipeline as a benchmark drives it: its API, what it costs on the wire, and a receiver. */
export interface PipelineSession {
  api: PipelineApi;
  /** The API as each tenant of `SessionOptions.tenants` sees it, with a key of its own. */
  tenants: Map<string, PipelineApi>;
  aws: AwsMeter;
  functions: FunctionMeter;
  receiver: BenchReceiver;
  /** Memory of the functions (the construct gives them all the same). */
  memoryMb: number;
  /** Log format and levels of the functions and the API's access log format, as deployed. */
  logging: DeployedLogging;
  dynamoEndpoint: string;
  subscriptionsTable: string;
  /** Notices the runtime printed (such as an emulator fallback). */
  notices: string[];
  /** The synthesized template the runtime runs. */
  template: JsonObject;
}

export interface SessionOptions {
  /**
   * Delays before retries, seconds; short by default, so retried deliveries finish within the
   * benchmark. `STACK_RETRY_SCHEDULE` keeps the stack's own schedule.
   */
  retrySchedule?: string;
  /** Tenants besides the local one, each given a key of its own. */
  tenants?: readonly string[];
  /**
   * Whether the functions' own AWS requests are metered (true unless set). The meter reaches them
   * through a forwarding proxy in this process: one more HTTP hop for every request, read whole and
   * parsed, on the thread that also runs the emulated API, SQS and the event sources. A benchmark
   * of latency turns it off, so the instrument is not in the path it measures; the event source's
   * own receives are still seen (they decide when the pipeline is quiet).
   */
  meterFunctionRequests?: boolean;
}

/** Seconds between retries in benchmarks: the request pattern of a retry is the same, only sooner. */
export const FAST_RETRY_SCHEDULE = '1,1,1,1,1,1,1';
/** The retry schedule the template gives the functions, as deployed. */
export const STACK_RETRY_SCHEDULE = 'stack';

/**
 * Runs `work` against a freshly started local runtime and always stops it (emulators, the DynamoDB
 * Local JVM, workers) before returning. The functions run with the deployed defaults where they
 * matter for cost (successful attempts logged at the sampled rate), loopback allowed as a target.
 */
export const withPipeline = async <T>(options: SessionOptions, work: (session: PipelineSession) => Promise<T>): Promise<T> => {
  const aws = new AwsMeter();
  const functions = new FunctionMeter();
  const receiver = new BenchReceiver();
  const notices: string[] = [];
  let runtime: LocalRuntime | undefined;
  try {
    const endpoints = await aws.start();
    await receiver.start();
    const template = synthTemplate();
    const retrySchedule = options.retrySchedule ?? FAST_RETRY_SCHEDULE;
    const tenantKeys = (options.tenants ?? []).map((tenant) => ({ tenant, key: generateApiKey().key }));
    const config = readLocalConfig({
      PORT: '0',
      [ENV.successLogSampleRate]: formatSetting('successLogSampleRate', settingDefault('successLogSampleRate')),
      ...(retrySchedule === STACK_RETRY_SCHEDULE ? {} : { [ENV.retrySchedule]: retrySchedule }),
      LOCAL_API_KEYS: tenantKeys.map(({ tenant, key }) => `${tenant}:${key}`).join(','),
    });
    if (options.meterFunctionRequests ?? true) {
      config.functionOverrides = {
        ...config.functionOverrides,
        AWS_ENDPOINT_URL_SQS: endpoints.sqsEndpoint,
        AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoEndpoint,
      };
    }
    runtime = await startLocalRuntime({ config, template, observer: functions, log: () => undefined, notice: (line) => notices.push(line) });
    aws.connect(runtime.emulators);
    const { state } = runtime;
    const memoryMb = Math.max(...functionsOf(template).map((fn) => fn.memoryMb));
    return await work({
      api: new PipelineApi(state.apiUrl, runtime.apiKey),
      tenants: new Map(tenantKeys.map(({ tenant, key }) => [tenant, new PipelineApi(state.apiUrl, key)])),
      aws,
      functions,
      receiver,
      memoryMb,
      logging: deployedLogging(template),
      dynamoEndpoint: runtime.emulators.dynamoEndpoint,
      subscriptionsTable: state.outputs[STACK_OUTPUTS.subscriptionsTableName]!,
      notices,
      template,
    });
  } finally {
    await runtime?.stop();
    await receiver.close();
    await aws.stop();
  }
};

export class UnexpectedStatusError extends Error {
  override name = 'UnexpectedStatusError';
}

/** An accepted event, as the client saw it. */
export interface Accepted {
  id: string;
  createdAt: string;
  sentAt: number;
  /** When the 202 reached the client (ms, this machine's clock). */
  answeredAt: number;
}

/** The size the cost workload names for an event's request body. */
export const EVENT_BODY_BYTES = 1024;

/**
 * The request body of benchmark event `i`: its number and send time, then order lines until it is
 * 1 KB. Realistic JSON rather than one repeated character, which would compress unrealistically
 * well where the pipeline compresses (stored events).
 */
export const eventBody = (type: string, i: number, sentAt: number): string => {
  const data: BenchEventData & { customer: string; lines: { sku: string; name: string; quantity: number; unitPrice: number }[] } = {
    i,
    sentAt,
    customer: `cus_${(i * 7919) % 100_000}`,
    lines: [],
  };
  for (let line = 0; JSON.stringify({ type, data }).length < EVENT_BODY_BYTES - 80; line++) {
    data.lines.push({ sku: `SKU-${(i * 31 + line * 17) % 9973}`, name: `Item ${line} of order ${i}`, quantity: (line % 4) + 1, unitPrice: ((i + line) % 50) + 0.99 });
  }
  const text = JSON.stringify({ type, data });
  return text.slice(0, -2) + `,"note":"${'n'.repeat(Math.max(0, EVENT_BODY_BYTES - text.length - 10))}"}}`;
};

/** The public HTTP API of the local runtime, with the local tenant's key. */
export class PipelineApi {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
  ) {}

  /** Creates a subscription: the tenant's own, or one of `consumerId`'s. */
  async subscribe(url: string, eventTypes: string[], consumerId?: string): Promise<string> {
    const { id } = await this.call<{ id: string }>('POST', '/v1/subscriptions', 201, JSON.stringify({ url, eventTypes, consumerId }));
    return id;
  }

  async putConsumer(id: string): Promise<void> {
    await this.call('PUT', `/v1/consumers/${encodeURIComponent(id)}`, 201, '{}');
  }

  async unsubscribe(id: string): Promise<void> {
    await this.call('DELETE', `/v1/subscriptions/${id}`, 204);
  }

  /** Publishes benchmark event `i`: to the tenant's own subscriptions, or only to `consumerId`'s. */
  async publish(type: string, i: number, consumerId?: string): Promise<Accepted> {
    const sentAt = Date.now();
    const body = eventBody(type, i, sentAt);
    const routed = consumerId === undefined ? body : `{"consumerId":${JSON.stringify(consumerId)},${body.slice(1)}`;
    const { id, createdAt } = await this.call<{ id: string; createdAt: string }>('POST', '/v1/events', 202, routed);
    return { id, createdAt, sentAt, answeredAt: Date.now() };
  }

  /** Any request of the API: its parsed JSON answer, or an error unless the status is `expected`. */
  async call<T>(method: string, path: string, expected: number, body?: string): Promise<T> {
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${this.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    if (response.status !== expected) throw new UnexpectedStatusError(`${method} ${path}: expected ${expected}, got ${response.status} ${text.slice(0, 200)}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}

/**
 * Sends `count` events at a steady rate without waiting for one answer before the next send; event
 * `i` goes to `consumerOf(i)` when given.
 */
export const publishAtRate = async (
  api: PipelineApi,
  type: string,
  count: number,
  perSecond: number,
  consumerOf: (i: number) => string | undefined = () => undefined,
): Promise<Accepted[]> => {
  const start = performance.now();
  const sends: Array<Promise<Accepted>> = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sends.push(api.publish(type, i, consumerOf(i)));
  }
  return Promise.all(sends);
};

export class BenchTimeoutError extends Error {
  override name = 'BenchTimeoutError';
}

export const waitUntil = async (condition: () => boolean, timeoutMs: number, what: string): Promise<void> => {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new BenchTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

/** Waits until the pipeline has done no work for `quietMs`: the last deletes and record writes are in. */
export const waitForQuiet = (aws: AwsMeter, quietMs: number, timeoutMs: number): Promise<void> =>
  waitUntil(() => performance.now() - aws.lastWorkAt() > quietMs, timeoutMs, 'the pipeline to go quiet');
