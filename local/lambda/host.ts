import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import { withTimeout } from './context';
import type { WorkerData, WorkerRequest, WorkerResponse } from './worker-host';

export class FunctionInvocationError extends Error {
  /** The name of the error the function threw (`ConfigError`, `TypeError`, ...). */
  readonly causeName: string;
  constructor(functionName: string, cause: { name: string; message: string; stack?: string }) {
    super(`${functionName} failed: ${cause.name}: ${cause.message}`);
    this.name = 'FunctionInvocationError';
    this.causeName = cause.name;
    if (cause.stack) this.stack = cause.stack;
  }
}

export interface FunctionHostOptions extends WorkerData {
  environment: Record<string, string>;
  timeoutMs: number;
}

/**
 * One local "function": a worker thread with the function's own environment, invoked with events
 * and bounded by the function's timeout. Its stdout and stderr are handed to the caller to format.
 */
export class FunctionHost {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  readonly ready: Promise<void>;

  constructor(private readonly options: FunctionHostOptions) {
    const { environment, timeoutMs: _timeout, ...data } = options;
    this.worker = new Worker(new URL('./worker.mjs', import.meta.url), {
      workerData: data satisfies WorkerData,
      env: environment,
      stdout: true,
      stderr: true,
    });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (message: WorkerResponse) => {
        if ('ready' in message) {
          if (message.ready) resolve();
          else reject(new FunctionInvocationError(options.functionName, message.error));
          return;
        }
        const waiter = this.pending.get(message.id);
        if (waiter === undefined) return;
        this.pending.delete(message.id);
        if (message.ok) waiter.resolve(message.result);
        else waiter.reject(new FunctionInvocationError(options.functionName, message.error));
      });
      this.worker.on('error', (error) => {
        reject(error);
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      });
    });
  }

  get name(): string {
    return this.options.functionName;
  }

  get stdout(): Readable {
    return this.worker.stdout;
  }

  get stderr(): Readable {
    return this.worker.stderr;
  }

  invoke<T>(event: unknown): Promise<T> {
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, event, timeoutMs: this.options.timeoutMs } satisfies WorkerRequest);
    });
    return withTimeout(result, this.options.timeoutMs, this.options.functionName).finally(() => this.pending.delete(id)) as Promise<T>;
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
