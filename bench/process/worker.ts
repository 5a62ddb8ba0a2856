import { fork } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = resolve(HERE, '..', '..');

/**
 * Runs a TypeScript module of bench/process/ in a fresh Node process with the given environment, and
 * resolves with the one result it sends back. A process of its own gives each measurement a clean
 * module cache and its own environment (handlers read theirs at import), and leaves the runner
 * untouched by the stubs a measurement installs. What the worker writes to stdout (the functions'
 * log and metric lines) is discarded, as CloudWatch would take it off the function's hands.
 */
export const runWorker = <T>(moduleFile: string, env: Record<string, string>): Promise<T> =>
  new Promise<T>((resolvePromise, reject) => {
    const child = fork(resolve(HERE, moduleFile), [], {
      cwd: PROJECT_ROOT,
      execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [])],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let result: { value: T } | undefined;
    child.once('message', (message) => {
      result = { value: message as T };
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (result !== undefined && code === 0) resolvePromise(result.value);
      else reject(new Error(`bench/process/${moduleFile} exited with code ${code}${result === undefined ? ' before sending its result' : ''}`));
    });
  });

/**
 * The worker's side: sends the result and ends the process, whose keep-alive sockets and
 * function state would otherwise hold it open.
 */
const sendResult = async (result: unknown): Promise<never> => {
  await new Promise<void>((resolvePromise, reject) =>
    process.send!(result, undefined, undefined, (error) => (error ? reject(error) : resolvePromise())),
  );
  process.exit(0);
};

/** The worker's side: runs the measurement, and reports a failure with a non-zero exit. */
export const runAsWorker = (measure: () => Promise<unknown>): void => {
  // Importing a worker module from the runner would otherwise measure, and then end, the runner.
  if (process.send === undefined) throw new Error('bench worker modules run only in a process started by runWorker');
  measure().then(sendResult, (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
};
