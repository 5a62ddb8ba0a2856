import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../local/free-ports';

/**
 * The local runtime as a user runs it: `npm start` is `node --import tsx local/main.ts`, started here as a child
 * process with the same entry point, in the project root, on a free port. Tests talk to it over
 * HTTP only; its stdout and stderr are captured for assertions and for failure messages.
 */

export const PROJECT_ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const ENTRY = 'local/main.ts';
/** Node's arguments for the runtime, as `npm start` gives them: tsx as a loader in the one process, so a signal reaches the runtime itself. */
export const START_ARGS = ['--import', 'tsx', ENTRY] as const;

/** How long a runtime may take to print its two lines (it boots in about 5 s; CI machines are slower). */
export const STARTUP_BOUND_MS = 60_000;
/** How long a runtime may take to stop after SIGTERM before it is killed. */
export const STOP_BOUND_MS = 15_000;

/**
 * Variables of the runtime's contract that must come from the test alone, never from the shell
 * that runs the tests. The AWS endpoints are those global-setup.ts exports to the test workers:
 * a runtime that relied on them would pass here and fail for a user.
 */
const CONTRACT_VARIABLES = [
  'PORT',
  'LOCAL_API_KEY',
  'LOCAL_DYNAMODB',
  'WEBHOOK_RETRY_SCHEDULE',
  'WEBHOOK_TIMEOUT_MS',
  'WEBHOOK_ALLOWED_PRIVATE_NETWORKS',
  'WEBHOOK_ALLOW_HTTP',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_DYNAMODB',
];

/**
 * A variable with a value unique to one spawned runtime. Every process it starts (tsx's child,
 * DynamoDB Local's JVM, the watchdogs) inherits it, so they can be found in /proc afterwards,
 * whatever other runtimes or emulators run on the machine at the same time.
 */
export const MARKER_VARIABLE = 'WEBHOOK_FANOUT_E2E_RUNTIME';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned `local/main.ts`, running or not; nothing is assumed about whether it started. */
export class RuntimeProcess {
  private out = '';
  private err = '';
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    /** The value of MARKER_VARIABLE in this runtime's environment. */
    readonly marker: string,
    /** Where this runtime writes its state for the CLI's --local (LOCAL_STATE_FILE). */
    readonly stateFile: string,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.out += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.err += chunk));
    this.exited = new Promise<Exit>((done) => {
      // 'close' rather than 'exit': the output pipes are drained when it fires.
      child.once('close', (code, signal) => {
        this.exit = { code, signal };
        done(this.exit);
      });
      child.once('error', (error) => {
        this.err += `\n[spawn error] ${error.message}`;
        this.exit = { code: null, signal: null };
        done(this.exit);
      });
    });
  }

  /** Spawns the runtime with process.env (minus the contract's variables) plus `env`; PORT defaults to a free port. */
  static async spawn(env: Record<string, string> = {}): Promise<RuntimeProcess> {
    const port = env.PORT === undefined ? await freePort() : Number(env.PORT);
    const childEnv: NodeJS.ProcessEnv = { ...process.env };
    for (const name of CONTRACT_VARIABLES) delete childEnv[name];
    const marker = randomUUID();
    // Each runtime keeps its state file apart, so runtimes of parallel files never clobber it.
    const stateFile = join(tmpdir(), `webhook-fanout-e2e-${marker}.json`);
    Object.assign(childEnv, { PORT: String(port), [MARKER_VARIABLE]: marker, LOCAL_STATE_FILE: stateFile }, env);
    const child = spawn(process.execPath, START_ARGS, {
      cwd: PROJECT_ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new RuntimeProcess(child, port, marker, childEnv.LOCAL_STATE_FILE!);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** Processes still running that this runtime started, itself included (Linux: read from /proc). */
  leftovers(): Array<{ pid: number; args: string }> {
    return processesWithEnvironment(MARKER_VARIABLE, this.marker);
  }

  /**
   * Waits (bounded) until no process of this runtime is left and returns what is still there at
   * the bound. A process killed with SIGKILL just before the runtime exited (a watchdog, a JVM
   * stopped during start-up) can take a moment to be torn down by the kernel.
   */
  async leftoversAfter(boundMs = 5_000): Promise<Array<{ pid: number; args: string }>> {
    let left = this.leftovers();
    const deadline = Date.now() + boundMs;
    while (left.length > 0 && Date.now() < deadline) {
      await sleep(50);
      left = this.leftovers();
    }
    return left;
  }

  /** Both outputs, for failure messages. */
  describe(): string {
    return `--- stdout ---\n${this.out}\n--- stderr ---\n${this.err}`;
  }

  /** Waits for the process to end by itself; rejects (and kills it) if it is still running after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<Exit> {
    const timer = timeout(timeoutMs);
    try {
      const result = await Promise.race([this.exited, timer.promise]);
      if (result === TIMED_OUT) {
        await this.kill();
        throw new Error(`the runtime did not exit within ${timeoutMs} ms\n${this.describe()}`);
      }
      return result;
    } finally {
      timer.cancel();
    }
  }

  /** `signal` (SIGTERM), then the exit; SIGKILL to the whole process tree if it takes longer than `boundMs`. */
  async stop(boundMs: number = STOP_BOUND_MS, signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit & { forced: boolean }> {
    if (this.exit !== undefined) return { ...this.exit, forced: false };
    this.child.kill(signal);
    const timer = timeout(boundMs);
    try {
      const result = await Promise.race([this.exited, timer.promise]);
      if (result !== TIMED_OUT) return { ...result, forced: false };
    } finally {
      timer.cancel();
    }
    await this.kill();
    return { ...(await this.exited), forced: true };
  }

  /** Last resort: SIGKILL to this process and every descendant (tsx runs main.ts in a child of its own). */
  async kill(): Promise<void> {
    if (this.exit !== undefined || this.child.pid === undefined) return;
    for (const pid of [...descendantsOf(this.child.pid), this.child.pid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.exited;
  }
}

/** A runtime that printed its start lines: its key, URL and emulator endpoints are known. */
export interface StartedRuntime {
  readonly process: RuntimeProcess;
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly port: number;
  readonly sqsEndpoint: string;
  readonly dynamoEndpoint: string;
}

const API_KEY_LINE = /^API key: (\S+)$/m;
const LISTENING_LINE = /^Listening on (http:\/\/127\.0\.0\.1:(\d+))$/m;
const EMULATORS_LINE = /^Emulators: SQS (\S+), DynamoDB (\S+)$/m;

/**
 * Starts a runtime and waits for `API key: ...` and `Listening on ...` on stdout and the
 * `Emulators: ...` notice on stderr. Fails with the captured output if the process ends first or
 * the lines do not come within the bound; in both cases nothing is left running.
 */
export async function startRuntime(env: Record<string, string> = {}, boundMs: number = STARTUP_BOUND_MS): Promise<StartedRuntime> {
  try {
    return await startOnce(env, boundMs);
  } catch (error) {
    // The free port was released for the runtime to bind; in that instant another process may
    // have taken it. That says nothing about the runtime: try once more on another port.
    if (env.PORT !== undefined || !(error instanceof PortTakenMeanwhile)) throw error;
    return startOnce(env, boundMs);
  }
}

class PortTakenMeanwhile extends Error {}

async function startOnce(env: Record<string, string>, boundMs: number): Promise<StartedRuntime> {
  const runtime = await RuntimeProcess.spawn(env);
  try {
    await waitFor(
      () => {
        if (runtime.hasExited) {
          const message = `the runtime exited before it was ready\n${runtime.describe()}`;
          throw runtime.stderr.includes('already in use') ? new PortTakenMeanwhile(message) : new Error(message);
        }
        return API_KEY_LINE.test(runtime.stdout) && LISTENING_LINE.test(runtime.stdout) && EMULATORS_LINE.test(runtime.stderr);
      },
      { timeoutMs: boundMs, intervalMs: 50, description: () => `the runtime's start lines\n${runtime.describe()}` },
    );
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  const listening = LISTENING_LINE.exec(runtime.stdout)!;
  const emulators = EMULATORS_LINE.exec(runtime.stderr)!;
  return {
    process: runtime,
    apiKey: API_KEY_LINE.exec(runtime.stdout)![1]!,
    baseUrl: listening[1]!,
    port: Number(listening[2]),
    sqsEndpoint: emulators[1]!,
    dynamoEndpoint: emulators[2]!,
  };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  body: T;
  text: string;
}

/** One HTTP call to the runtime, with the key as a Bearer token when given. */
export async function call<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  /** `body` is sent as its JSON; `rawBody` as it is, byte for byte. */
  options: { key?: string; body?: unknown; rawBody?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  const sent = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (sent !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers,
    ...(sent === undefined ? {} : { body: sent }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body: body as T, text };
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Says what was awaited, in the error when the bound is reached. */
  description?: string | (() => string);
}

/**
 * Polls `condition` until it returns a truthy value (which is returned) or the bound is reached.
 * An exception from the condition ends the wait at once. Never an assertion by itself: assert on
 * what it returns, or on the state once it holds.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 20_000, intervalMs = 100 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) {
      const description = typeof options.description === 'function' ? options.description() : options.description;
      throw new Error(`waited ${timeoutMs} ms for ${description ?? 'a condition'}, in vain`);
    }
    await sleep(intervalMs);
  }
}

/** Polls an API call until `accept` holds for its answer; returns that answer. */
export async function waitForResponse<T = any>(
  request: () => Promise<ApiResponse<T>>,
  accept: (response: ApiResponse<T>) => boolean,
  options: WaitOptions = {},
): Promise<ApiResponse<T>> {
  let last: ApiResponse<T> | undefined;
  return waitFor(
    async () => {
      last = await request();
      return accept(last) ? last : undefined;
    },
    {
      ...options,
      description: () => {
        const what = typeof options.description === 'function' ? options.description() : (options.description ?? 'a response');
        return `${what}; last answer: ${last === undefined ? 'none' : `${last.status} ${last.text}`}`;
      },
    },
  );
}

/** Command lines of the running DynamoDB Local JVMs listening on `port` (from `ps`). */
export function dynamoDbLocalProcesses(port: number): string[] {
  return processTable()
    .map((row) => row.args)
    .filter((args) => args.includes('DynamoDBLocal') && new RegExp(`-port ${port}(\\s|$)`).test(args));
}

/** Live processes whose initial environment holds `name=value`, with their command lines. */
export function processesWithEnvironment(name: string, value: string): Array<{ pid: number; args: string }> {
  const entry = `${name}=${value}`;
  const found: Array<{ pid: number; args: string }> = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry)) continue;
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      // A zombie (exited, not yet reaped) has an empty command line: it is gone in every sense that matters.
      if (args !== '') found.push({ pid: Number(pid), args });
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return found;
}

interface ProcessRow {
  pid: number;
  ppid: number;
  args: string;
}

function processTable(): ProcessRow[] {
  const output = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
  return output
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ pid: Number(match[1]), ppid: Number(match[2]), args: match[3]! }));
}

function descendantsOf(root: number): number[] {
  const rows = processTable();
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const row of rows) {
      if (row.ppid === parent) {
        found.push(row.pid);
        queue.push(row.pid);
      }
    }
  }
  return found;
}

const TIMED_OUT = Symbol('timed out');

function timeout(ms: number): { promise: Promise<typeof TIMED_OUT>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<typeof TIMED_OUT>((done) => {
    timer = setTimeout(() => done(TIMED_OUT), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
