import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Server } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { issueApiKey } from '../admin/api-keys';
import { DynamoApiKeyStore } from '../lambdas/aws/dynamo-api-key-store';
import { hashApiKey, parseApiKey, SCOPES } from '../lambdas/core/api-keys';
import { ENV } from '../lambdas/core/resource-env';
import { HANDLER_SOURCE_METADATA } from '../lib/webhook-fanout';
import { awsClientConfig, localAwsEnvironment, sqsClientConfig, startEmulators, type Emulators } from './emulators';
import { FunctionHost } from './lambda/host';
import { CallerTurns } from './lambda/caller-turns';
import { httpRoutesOf } from './api-gateway/routes';
import { startHttpServer } from './api-gateway/server';
import type { LocalConfig } from './local-config';
import { lineFormatter, refusedRequestLine, warningLine, type ApiAnswer } from './log-lines';
import { SqsEventSource } from './sqs-event-source';
import { localHttpsWarning } from './subscription-warnings';
import { readTemplate, type JsonObject } from './template/document';
import { eventSourceMappings, functionEnvironment, functionsOf, localFunctionName } from './template/functions';
import { createTemplateResources } from './template/resources';
import { synthTemplate } from './template/synth';
import type { LocalResources } from './local-resources';
import type { RuntimeState } from '../admin/local-runtime-state';
import { STACK_OUTPUTS } from '../lib/stack-outputs';

const PROJECT_ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
export const LOCAL_TENANT = 'local';

export interface LocalRuntime {
  port: number;
  apiKey: string;
  emulators: Emulators;
  /** Where everything is, as `npm start` announces it to the CLI's `--local` (admin/local-runtime-state.ts). */
  state: RuntimeState;
  stop(): Promise<void>;
}

export interface StartOptions {
  config: LocalConfig;
  /** Where readable lines go (delivery attempts, errors). */
  log: (line: string) => void;
  /** Where the runtime's own notices go. */
  notice: (line: string) => void;
  template?: JsonObject;
  /** Sees what Lambda would bill and log for each function; benchmarks price the pipeline with it. */
  observer?: FunctionObserver;
}

/** Per function: each invocation's duration, and the output its log group would ingest. */
export interface FunctionObserver {
  invoked(functionName: string, durationMs: number): void;
  output(functionName: string, chunk: Buffer): void;
}

export class MissingHandlerSourceError extends Error {
  override name = 'MissingHandlerSourceError';
}

/**
 * The whole pipeline on one machine, driven by the synthesized template: its tables and queues
 * are created in the emulators, its functions run from source in worker threads with the
 * environment the template gives them, its HTTP API routes are served, and its SQS event
 * sources are polled with Lambda's semantics.
 */
export const startLocalRuntime = async ({ config, log, notice, template = synthTemplate(), observer }: StartOptions): Promise<LocalRuntime> => {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const emulators = await startEmulators({ log: notice });
    stops.push(() => emulators.stop());
    const sqs = new SQSClient(sqsClientConfig(emulators.sqsEndpoint));
    const dynamo = new DynamoDBClient(awsClientConfig(emulators.dynamoEndpoint));
    const resources = await createTemplateResources(template, { sqs, dynamo, namePrefix: 'local' });

    const awsEnvironment = localAwsEnvironment(emulators);
    const hosts = new Map<string, FunctionHost>();
    for (const fn of functionsOf(template)) {
      const source = readTemplate(template).resources.get(fn.logicalId)?.metadata[HANDLER_SOURCE_METADATA];
      if (typeof source !== 'string') {
        throw new MissingHandlerSourceError(`function ${fn.logicalId} has no ${HANDLER_SOURCE_METADATA} metadata`);
      }
      const functionName = localFunctionName(fn);
      const host = new FunctionHost({
        functionName,
        handlerSource: resolve(PROJECT_ROOT, source),
        handlerExport: fn.handler?.split('.').at(-1) ?? 'handler',
        memoryMb: fn.memoryMb,
        timeoutMs: fn.timeoutSeconds * 1000,
        environment: {
          ...(process.env as Record<string, string>),
          ...functionEnvironment(template, fn.logicalId, resources),
          ...awsEnvironment,
          AWS_LAMBDA_FUNCTION_NAME: functionName,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...config.functionOverrides,
        },
      });
      host.stdout.on('data', lineFormatter(functionName, log));
      host.stderr.on('data', lineFormatter(functionName, log));
      if (observer !== undefined) {
        for (const stream of [host.stdout, host.stderr]) stream.on('data', (chunk: Buffer) => observer.output(functionName, chunk));
      }
      stops.push(() => host.stop());
      hosts.set(fn.logicalId, host);
    }
    await Promise.all([...hosts.values()].map((host) => host.ready));
    const invoke = <T>(host: FunctionHost, event: unknown): Promise<T> => {
      if (observer === undefined) return host.invoke<T>(event);
      const started = performance.now();
      return host.invoke<T>(event).finally(() => observer.invoked(host.name, performance.now() - started));
    };

    const apiKey = await ensureLocalKey(dynamo, template, resources, hosts, config);

    const sources = eventSourceMappings(template)
      .filter((mapping) => mapping.enabled)
      .map((mapping) => {
        const queue = resources.queue(mapping.queueLogicalId);
        const host = hosts.get(mapping.functionLogicalId)!;
        return new SqsEventSource({
          sqs,
          queueUrl: queue.queueUrl,
          queueArn: queue.queueArn,
          handler: (event) => invoke(host, event),
          functionName: host.name,
          timeoutMs: mapping.function.timeoutSeconds * 1000,
          batchSize: mapping.batchSize,
          maxBatchingWindowSeconds: mapping.maximumBatchingWindowSeconds,
          reportBatchItemFailures: mapping.reportBatchItemFailures,
          // Without a ScalingConfig Lambda scales on its own; locally that is bounded at 10.
          maxConcurrency: mapping.maximumConcurrency ?? 10,
          waitTimeSeconds: 1,
          onError: (error) => log(`${host.name}: invocation failed: ${(error as Error).message}`),
        });
      });
    for (const source of sources) {
      source.start();
      stops.push(() => source.stop());
    }

    const routes = httpRoutesOf(template);
    const turns = new Map([...hosts.keys()].map((id) => [id, new CallerTurns(HTTP_REQUESTS_AT_ONCE)]));
    const { server, port } = await startHttpServer(
      routes,
      (functionLogicalId, event) => turns.get(functionLogicalId)!.run(callerOf(event), () => invoke(hosts.get(functionLogicalId)!, event)),
      config.port,
      (answer) => logAnswer(answer, log),
    );
    stops.push(() => closeServer(server));
    const apiUrl = `http://127.0.0.1:${port}`;
    const state: RuntimeState = {
      pid: process.pid,
      apiUrl,
      sqsEndpoint: emulators.sqsEndpoint,
      dynamoEndpoint: emulators.dynamoEndpoint,
      apiKey,
      outputs: { ...resolvedOutputs(template, resources), [STACK_OUTPUTS.apiUrl]: apiUrl },
    };
    return { port, apiKey, emulators, state, stop };
  } catch (error) {
    await stop();
    throw error;
  }
};

/**
 * Requests one HTTP function runs at once; more wait, served in turn by caller (CallerTurns): on
 * Lambda each would have an instance of its own, and one tenant's burst would not delay another's.
 */
const HTTP_REQUESTS_AT_ONCE = 4;

/** Who sent an API request, for taking turns: its credentials as sent (unauthenticated requests share one turn). */
const callerOf = (event: APIGatewayProxyEventV2): string => event.headers.authorization ?? '';

/** What a person at the terminal needs to know of an API answer: a refusal, or a warning about a subscription's URL. */
const logAnswer = (answer: ApiAnswer, log: (line: string) => void): void => {
  if (answer.statusCode >= 400) log(refusedRequestLine(answer));
  const warning = localHttpsWarning(answer);
  if (warning !== undefined) log(warningLine(warning.subscriptionId, warning.warning));
};

/** The template's outputs whose values resolve to local resources (table names, queue URLs). */
const resolvedOutputs = (template: JsonObject, resources: LocalResources): Record<string, string> => {
  const outputs = (template.Outputs ?? {}) as Record<string, { Value?: unknown }>;
  const resolved: Record<string, string> = {};
  for (const [id, output] of Object.entries(outputs)) {
    const value = resources.resolveValue(output.Value);
    if (typeof value === 'string' && !value.startsWith('unresolved:')) resolved[id] = value;
  }
  return resolved;
};

const closeServer = (server: Server) =>
  new Promise<void>((done) => {
    server.closeAllConnections();
    server.close(() => done());
  });

/**
 * Stores the local tenant's key (the given one, or a new one) and any extra tenants' keys in the
 * API keys table the template declares.
 */
const ensureLocalKey = async (
  dynamo: DynamoDBClient,
  template: JsonObject,
  resources: Awaited<ReturnType<typeof createTemplateResources>>,
  hosts: Map<string, FunctionHost>,
  config: LocalConfig,
): Promise<string> => {
  const table = [...hosts.keys()]
    .map((id) => functionEnvironment(template, id, resources)[ENV.apiKeysTable])
    .find((name) => name !== undefined);
  if (table === undefined) throw new Error(`no function of the template has ${ENV.apiKeysTable}`);
  const store = new DynamoApiKeyStore(dynamo, table);
  const storeKey = (tenantId: string, key: string) =>
    store.put({ keyId: parseApiKey(key)!.keyId, tenantId, scopes: [...SCOPES], hash: hashApiKey(key), createdAt: new Date().toISOString() });
  for (const { tenantId, key } of config.extraKeys) await storeKey(tenantId, key);
  if (config.apiKey === undefined) return (await issueApiKey(store, { tenantId: LOCAL_TENANT, scopes: [...SCOPES] })).key;
  await storeKey(LOCAL_TENANT, config.apiKey);
  return config.apiKey;
};
