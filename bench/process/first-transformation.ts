import { execFile } from 'node:child_process';
import { cpSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from './worker';

const run = promisify(execFile);

/**
 * The delivery function's entry with the transformation evaluator exported beside its handler: the
 * same code as the delivery asset, so its import is the delivery function's cold start, and the
 * probe then calls what a delivery with a transformation calls.
 */
export const DELIVERY_WITH_EVALUATOR = `
export { handler } from './lambdas/delivery/handler';
export { evaluateTransformation } from './lambdas/core/transformation';
`;

/** A transformation of the kind docs/transformations.md shows: reshape, pick and sum. */
const EXPRESSION = '{ "kind": type, "order": data.order, "items": $count(data.lines), "total": $sum(data.lines.(quantity * unitPrice)) }';
const INPUT = {
  type: 'order.created',
  timestamp: '2026-01-01T00:00:00.000Z',
  data: { order: 'ord_1', lines: [{ sku: 'A', quantity: 2, unitPrice: 9.5 }, { sku: 'B', quantity: 1, unitPrice: 20 }] },
};

/**
 * Runs in a fresh process: imports the asset (timed, then whether JSONata was loaded by then), then
 * times its first transformation, which loads JSONata, and a second, different one, and says why
 * either failed (a first evaluation in a cold process runs slower, nearer the guard's time limit).
 */
const PROBE = `
const { performance } = require('node:perf_hooks');
const jsonataLoaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/jsonata/'));
const started = performance.now();
const asset = require(process.argv[1]);
const imported = performance.now();
const loadedAtImport = jsonataLoaded();
const input = ${JSON.stringify(INPUT)};
asset.evaluateTransformation(${JSON.stringify(EXPRESSION)}, input).then(async (first) => {
  const firstDone = performance.now();
  const second = await asset.evaluateTransformation('{ "type": type, "order": data.order }', input);
  const secondDone = performance.now();
  const failures = [first, second].filter((r) => r.kind !== 'body').map((r) => r.message ?? r.kind);
  const result = { importMs: imported - started, firstMs: firstDone - imported, secondMs: secondDone - firstDone, loadedAtImport, loadedAfter: jsonataLoaded(), failures };
  process.stdout.write(JSON.stringify(result), () => process.exit(0));
});
`;

export interface FirstTransformation {
  /** Importing the asset, as a cold start does. */
  importMs: number;
  /** The first transformation: loading JSONata, compiling and evaluating. */
  firstMs: number;
  /** A second, different expression, JSONata loaded. */
  secondMs: number;
  loadedAtImport: boolean;
  loadedAfter: boolean;
  /** Why either transformation gave no body (a guard, such as the evaluation time limit); empty when both did. */
  failures: string[];
}

/**
 * Puts JSONata beside the asset, in its node_modules, as the construct ships it (the package's
 * files; `require` reads its package.json and jsonata.js). Returns the bytes of what is loaded.
 */
export const shipJsonataBeside = (assetFile: string): number => {
  const source = join(PROJECT_ROOT, 'node_modules', 'jsonata');
  cpSync(source, join(dirname(assetFile), 'node_modules', 'jsonata'), { recursive: true });
  return statSync(join(source, 'jsonata.js')).size;
};

/** The probe in `rounds` fresh processes with only `env` (and PATH) set, after one uncounted. */
export const firstTransformationTimes = async (assetFile: string, env: Record<string, string>, rounds: number): Promise<FirstTransformation[]> => {
  const results: FirstTransformation[] = [];
  for (let round = -1; round < rounds; round++) {
    const { stdout } = await run(process.execPath, ['-e', PROBE, assetFile], { env: { PATH: process.env.PATH ?? '', ...env } });
    if (round >= 0) results.push(JSON.parse(stdout) as FirstTransformation);
  }
  return results;
};
