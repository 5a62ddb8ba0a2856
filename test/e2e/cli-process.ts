import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from './local-runtime-process';

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `webhook-fanout <args>` as a user would, with no API key or URL in the environment unless `env` sets them. */
export const runCliProcess = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  run(process.execPath, ['cli/bin.mjs', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, WEBHOOK_FANOUT_API_KEY: '', WEBHOOK_FANOUT_API_URL: '', ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

/** Runs `webhook-fanout --local <args>` as a user would, against the runtime that wrote `stateFile`. */
export const runCli = (stateFile: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCliProcess(['--local', ...args], { LOCAL_STATE_FILE: stateFile, ...env });

/** The JSON a `--json` command printed; fails with its stderr when it did not succeed. */
export const jsonOf = <T = any>(result: CliResult): T => {
  if (result.code !== 0) throw new Error(`the CLI exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
};

export interface RunningCli {
  /** The complete lines printed so far. */
  lines(): string[];
  stderr(): string;
  /** SIGINT, as Ctrl-C sends it, then the exit code. */
  interrupt(): Promise<number | null>;
}

/** Starts a long-running command (`tail`) and collects its output as it comes. */
export const spawnCli = (stateFile: string, args: string[]): RunningCli => {
  const child = spawn(process.execPath, ['cli/bin.mjs', '--local', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, WEBHOOK_FANOUT_API_KEY: '', WEBHOOK_FANOUT_API_URL: '', LOCAL_STATE_FILE: stateFile },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    lines: () => out.split('\n').slice(0, -1),
    stderr: () => err,
    interrupt: async () => {
      child.kill('SIGINT');
      return exited;
    },
  };
};
