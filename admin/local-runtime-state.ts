import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What a running local pipeline tells other local tools (the operator CLI's `--local`): where the
 * emulators listen, and the stack's outputs resolved to the local resources. Written when the
 * runtime is up, removed when it stops.
 */
export interface RuntimeState {
  pid: number;
  apiUrl: string;
  sqsEndpoint: string;
  dynamoEndpoint: string;
  /** The `local` tenant's key, so the CLI's `--local` needs none (the file is readable by its owner only). */
  apiKey?: string;
  /** The stack's outputs (ApiUrl, table names, queue URLs) as the local runtime has them. */
  outputs: Record<string, string>;
}

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** `LOCAL_STATE_FILE` moves it, e.g. to run two local pipelines side by side. */
export const runtimeStateFile = (env: NodeJS.ProcessEnv = process.env): string =>
  env.LOCAL_STATE_FILE ?? resolve(PROJECT_ROOT, '.local', 'runtime.json');

export class NoLocalRuntimeError extends Error {
  override name = 'NoLocalRuntimeError';
}

export const writeRuntimeState = (state: RuntimeState, file = runtimeStateFile()): void => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
};

export const removeRuntimeState = (file = runtimeStateFile()): void => {
  rmSync(file, { force: true });
};

export const readRuntimeState = (file = runtimeStateFile()): RuntimeState => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new NoLocalRuntimeError(`no local pipeline is running (no ${file}); start one with npm start`);
  }
  const state = JSON.parse(text) as RuntimeState;
  try {
    process.kill(state.pid, 0);
  } catch {
    throw new NoLocalRuntimeError(`the local pipeline that wrote ${file} (pid ${state.pid}) is not running; start one with npm start`);
  }
  return state;
};
