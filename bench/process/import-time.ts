import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Runs in the fresh process: the time to load the asset, from just before `require` to just after,
 * as the Lambda runtime loads a CommonJS handler. Process start-up is left out: it is the same for
 * every asset and Lambda's own.
 */
const TIMED_REQUIRE = `
const { performance } = require('node:perf_hooks');
const started = performance.now();
require(process.argv[1]);
process.stdout.write(String(performance.now() - started));
`;

/** Milliseconds to import `file` in a new Node process with only `env` (and PATH) set. */
export const importMilliseconds = async (file: string, env: Record<string, string>): Promise<number> => {
  const { stdout } = await run(process.execPath, ['-e', TIMED_REQUIRE, file], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  const ms = Number(stdout);
  if (!Number.isFinite(ms)) throw new Error(`importing ${file} printed "${stdout}" instead of a time`);
  return ms;
};

/**
 * Import times of every file, `rounds` fresh processes each, taken round-robin (one of each per
 * round) so that whatever drifts on the machine during the run weighs on all of them alike. A
 * first round that only warms the file cache is not counted.
 */
export const importTimesRoundRobin = async (
  files: readonly string[],
  env: Record<string, string>,
  rounds: number,
): Promise<number[][]> => {
  const times: number[][] = files.map(() => []);
  for (let round = -1; round < rounds; round++) {
    for (const [index, file] of files.entries()) {
      const ms = await importMilliseconds(file, env);
      if (round >= 0) times[index]!.push(ms);
    }
  }
  return times;
};
