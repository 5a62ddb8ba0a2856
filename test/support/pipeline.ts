import type { APIGatewayProxyEventV2, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoApiKeyStore } from '../../lambdas/aws/dynamo-api-key-store';
import { createDeliveryHandler, type DeliveryHandlerDeps } from '../../lambdas/delivery/delivery-handler';
import type { Scope } from '../../lambdas/core/api-keys';
import { SCOPES } from '../../lambdas/core/api-keys';
import { issueApiKey } from '../../admin/api-keys';
import { apiGatewayEvent } from '../../local/api-gateway/event';
import { lambdaContext } from '../../local/lambda/context';
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { SqsEventSource, toRecord, type PollResult } from '../../local/sqs-event-source';
import { createStackResources, localClients, localEnvironment, type StackResources } from './emulators';

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode: number; headers?: Record<string, unknown>; body?: string }>;
type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const FUNCTIONS = ['IngestFunction', 'ApiFunction', 'FanoutFunction', 'DeliveryFunction'] as const;

export interface ApiResponse<T = any> {
  status: number;
  headers: Record<string, unknown>;
  body: T;
  /** The body as the function answered it, before parsing. */
  text: string;
}

/**
 * The real handlers, wired to tables and queues created in the emulators from the synthesized
 * template, invoked the way API Gateway and the SQS event sources invoke them. Queues are polled
 * step by step so tests decide when each stage runs.
 */
export interface Pipeline {
  resources: StackResources;
  env: Record<string, string>;
  /** A string or Buffer body is sent as it is; anything else as its JSON. */
  call<T = any>(method: string, path: string, options?: { body?: unknown; key?: string | null; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  createKey(tenantId: string, scopes?: Scope[]): Promise<string>;
  /** Creates a subscription; anything but a 201 fails the caller. */
  subscribe(key: string, url: string, eventTypes?: string[]): Promise<{ id: string; secret: string }>;
  /** Publishes an event; anything but a 202 fails the caller. */
  publish(key: string, type: string, data: unknown, headers?: Record<string, string>): Promise<{ id: string; createdAt: string; matched?: { count: number; subscriptionIds: string[] } }>;
  fanout: SqsEventSource;
  delivery: SqsEventSource;
  queueUrl(kind: 'fanout' | 'fanoutDlq' | 'delivery' | 'deliveryDlq'): string;
  /** Polls fan-out then delivery until both queues hand out nothing (in-flight retries aside). */
  drain(options?: { until?: () => boolean; timeoutMs?: number }): Promise<PollResult[]>;
  /** Receives `count` messages of the delivery queue directly, for a test to hand to the delivery function itself. */
  receiveDeliveries(count: number): Promise<Message[]>;
  /** Invokes the delivery function with these messages as Lambda would, with `remainingMs` left of the invocation. */
  invokeDelivery(messages: readonly Message[], remainingMs: number): Promise<SQSBatchResponse>;
}

/**
 * Polls `source` until a poll receives something, and returns that poll's result; fails after
 * `rounds` empty polls `pauseMs` apart. It counts rounds instead of reading the clock, so it also
 * works while a test holds Date still.
 */
export const pollUntilReceived = async (source: SqsEventSource, { rounds = 100, pauseMs = 100 } = {}): Promise<PollResult> => {
  for (let round = 0; round < rounds; round++) {
    const result = await source.pollOnce(0);
    if (result.received > 0) return result;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error(`the queue handed out nothing in ${rounds} polls`);
};

export interface PipelineOptions {
  /** Builds the delivery function's handler from the functions' environment, in place of the module's own. */
  delivery?: (env: Record<string, string>) => Promise<SqsHandler>;
}

/**
 * A delivery handler wired as the function wires itself, from the environment as `changeEnv`
 * changes it, its dependencies shown to `inspect` first (to spy on one): for `PipelineOptions.delivery`.
 */
export const deliveryWiredWith =
  ({
    changeEnv = (env) => env,
    inspect = () => undefined,
  }: {
    changeEnv?: (env: Record<string, string>) => Record<string, string>;
    inspect?: (deps: DeliveryHandlerDeps) => void;
  }): NonNullable<PipelineOptions['delivery']> =>
  async (env) => {
    // Imported here: the module reads its configuration from the environment when it loads.
    const { deliveryDependencies } = await import('../../lambdas/delivery/handler');
    const deps = deliveryDependencies(changeEnv(env));
    inspect(deps);
    return createDeliveryHandler(deps);
  };

/**
 * Sets the functions' environment (as the template gives it, plus `overrides`), then imports the
 * handlers. Call once per test file: handlers parse their configuration at import, as on Lambda.
 */
/** Settings that let the pipeline deliver to receivers on 127.0.0.1 (plain HTTP, the loopback network). */
export const LOCAL_DELIVERY = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8' };

export const startPipeline = async (overrides: Record<string, string> = {}, options: PipelineOptions = {}): Promise<Pipeline> => {
  const resources = await createStackResources();
  const env: Record<string, string> = { ...localEnvironment() };
  for (const name of FUNCTIONS) Object.assign(env, resources.envForFunction(name));
  // Handlers log at INFO on AWS; tests keep quiet unless asked (TEST_LOG_LEVEL=INFO).
  env.POWERTOOLS_LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'WARN';
  // Embedded-metric lines would flood the test output; the metrics test turns them back on.
  env.POWERTOOLS_METRICS_DISABLED = 'true';
  Object.assign(env, overrides);
  Object.assign(process.env, env);

  const ingest = (await import('../../lambdas/ingest/handler')).handler as unknown as HttpHandler;
  const api = (await import('../../lambdas/api/handler')).handler as unknown as HttpHandler;
  const fanoutHandler = (await import('../../lambdas/fanout/handler')).handler as unknown as SqsHandler;
  const deliveryHandler = options.delivery
    ? await options.delivery(env)
    : ((await import('../../lambdas/delivery/handler')).handler as unknown as SqsHandler);
  const { sqs, dynamo } = localClients();

  const sourceFor = (functionName: string, handler: SqsHandler): SqsEventSource => {
    const mapping = resources.eventSources.find((source) => source.function.constructPath?.includes(functionName));
    if (mapping === undefined) throw new Error(`no event source for ${functionName}`);
    const queue = resources.queue(mapping.queueLogicalId);
    return new SqsEventSource({
      sqs,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      handler,
      functionName,
      timeoutMs: mapping.function.timeoutSeconds * 1000,
      batchSize: mapping.batchSize,
      maxBatchingWindowSeconds: mapping.maximumBatchingWindowSeconds,
      reportBatchItemFailures: mapping.reportBatchItemFailures,
      maxConcurrency: mapping.maximumConcurrency ?? 1,
    });
  };
  const fanout = sourceFor('FanoutFunction', fanoutHandler);
  const delivery = sourceFor('DeliveryFunction', deliveryHandler);

  const queueUrls = {
    fanout: env.FANOUT_QUEUE_URL!,
    fanoutDlq: env.FANOUT_DLQ_URL!,
    delivery: env.DELIVERY_QUEUE_URL!,
    deliveryDlq: env.DELIVERY_DLQ_URL!,
  };

  const call: Pipeline['call'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    let body: Buffer | undefined;
    if (options.body !== undefined) {
      body = Buffer.isBuffer(options.body) ? options.body : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
      headers['content-type'] ??= 'application/json';
    }
    const event = apiGatewayEvent({ method, url: path, headers, ...(body ? { body } : {}) });
    const handler = method.toUpperCase() === 'POST' && event.rawPath === '/v1/events' ? ingest : api;
    const result = await handler(event, lambdaContext('http', 10_000));
    return {
      status: result.statusCode,
      headers: result.headers ?? {},
      body: result.body ? JSON.parse(result.body) : undefined,
      text: result.body ?? '',
    };
  };

  const drain: Pipeline['drain'] = async ({ until, timeoutMs = 20_000 } = {}) => {
    const results: PollResult[] = [];
    const deadline = Date.now() + timeoutMs;
    let idleRounds = 0;
    while (Date.now() < deadline) {
      const fanned = await fanout.pollOnce(0);
      const delivered = await delivery.pollOnce(0);
      results.push(fanned, delivered);
      if (until?.()) return results;
      if (fanned.received + delivered.received === 0) {
        idleRounds += 1;
        if (until === undefined && idleRounds >= 3) return results;
        await new Promise((resolve) => setTimeout(resolve, 100));
      } else {
        idleRounds = 0;
      }
    }
    if (until !== undefined) throw new Error('the pipeline did not reach the expected state in time');
    return results;
  };

  const expectStatus = <T>(response: ApiResponse, status: number, what: string): T => {
    if (response.status !== status) throw new Error(`${what}: expected ${status}, got ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as T;
  };

  const receiveDeliveries: Pipeline['receiveDeliveries'] = async (count) => {
    const messages: Message[] = [];
    while (messages.length < count) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrls.delivery,
          MaxNumberOfMessages: Math.min(10, count - messages.length),
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      messages.push(...Messages);
    }
    return messages;
  };
  const deliveryQueueArn = resources.queue(resources.eventSources.find((s) => s.function.constructPath?.includes('DeliveryFunction'))!.queueLogicalId).queueArn;

  return {
    resources,
    env,
    call,
    receiveDeliveries,
    invokeDelivery: (messages, remainingMs) =>
      deliveryHandler({ Records: messages.map((message) => toRecord(message, deliveryQueueArn)) }, lambdaContext('DeliveryFunction', remainingMs)),
    subscribe: async (key, url, eventTypes = ['*']) =>
      expectStatus(await call('POST', '/v1/subscriptions', { key, body: { url, eventTypes } }), 201, `subscribing ${url}`),
    publish: async (key, type, data, headers = {}) =>
      expectStatus(await call('POST', '/v1/events', { key, body: { type, data }, headers }), 202, `publishing ${type}`),
    createKey: async (tenantId, scopes = [...SCOPES]) =>
      (await issueApiKey(new DynamoApiKeyStore(dynamo, env.API_KEYS_TABLE!), { tenantId, scopes })).key,
    fanout,
    delivery,
    queueUrl: (kind) => queueUrls[kind],
    drain,
  };
};
