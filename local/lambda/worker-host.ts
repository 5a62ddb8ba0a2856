import { parentPort, workerData } from 'node:worker_threads';
import { lambdaContext } from './context';

/**
 * Runs inside one worker thread per function: the thread's `process.env` is exactly the function's
 * environment, and the handler module is imported once, as in a Lambda execution environment.
 */
export interface WorkerData {
  handlerSource: string;
  handlerExport: string;
  functionName: string;
  memoryMb: number;
}

export type WorkerRequest = { id: number; event: unknown; timeoutMs: number };
export type WorkerResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string; stack?: string } }
  | { ready: true }
  | { ready: false; error: { name: string; message: string; stack?: string } };

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

const data = workerData as WorkerData;
const port = parentPort!;

const describe = (error: unknown) =>
  error instanceof Error
    ? { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) }
    : { name: 'Error', message: String(error) };

try {
  const module = (await import(data.handlerSource)) as Record<string, unknown>;
  const handler = module[data.handlerExport] as Handler | undefined;
  if (typeof handler !== 'function') throw new Error(`${data.handlerSource} has no export "${data.handlerExport}"`);
  port.on('message', (request: WorkerRequest) => {
    handler(request.event, lambdaContext(data.functionName, request.timeoutMs, data.memoryMb)).then(
      (result) => port.postMessage({ id: request.id, ok: true, result } satisfies WorkerResponse),
      (error: unknown) => port.postMessage({ id: request.id, ok: false, error: describe(error) } satisfies WorkerResponse),
    );
  });
  port.postMessage({ ready: true } satisfies WorkerResponse);
} catch (error) {
  port.postMessage({ ready: false, error: describe(error) } satisfies WorkerResponse);
}
