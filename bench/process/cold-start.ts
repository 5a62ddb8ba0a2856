import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, largestAdditions, type Bundle, type BundleEntry } from './bundle';
import { TRANSFORMATION_GUARDS } from '../../lambdas/core/transformation';
import { functionEnvironment } from './env';
import { kilobytes, milliseconds, times } from './format';
import { DELIVERY_WITH_EVALUATOR, firstTransformationTimes, shipJsonataBeside, type FirstTransformation } from './first-transformation';
import { importTimesRoundRobin } from './import-time';
import { PROJECT_ROOT } from './worker';
import { median, type Benchmark, type BenchSection, type TargetCheck } from '../report';

const FUNCTIONS = ['ingest', 'api', 'fanout', 'delivery'] as const;
/** The target: each asset and its import time within this factor of the SDK floor. */
const MAX_RATIO = 1.25;
const ROUNDS = 31;
const TOP_CONTRIBUTORS = 3;

/** The least any function that talks to SQS and DynamoDB can load: the two clients, created. */
const SDK_FLOOR = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
const sqs = new SQSClient({});
const dynamo = new DynamoDBClient({});
export const handler = async () => [sqs.config.serviceId, dynamo.config.serviceId];
`;
/** What Node itself costs to load a handler, for scale. */
const HELLO_WORLD = `export const handler = async () => ({ statusCode: 200 });`;

interface Measured {
  bundle: Bundle;
  importMs: number;
  /** The median over rounds of this asset's import time over the floor's in the same round. */
  importRatio: number;
}

const entries = (): Array<[string, BundleEntry]> => [
  ['SDK floor', { contents: SDK_FLOOR }],
  ['hello world', { contents: HELLO_WORLD }],
  ...FUNCTIONS.map((name): [string, BundleEntry] => [name, { file: join(PROJECT_ROOT, 'lambdas', name, 'handler.ts') }]),
];

const contributors = (bundle: Bundle, floor: Bundle): string =>
  largestAdditions(bundle, floor, TOP_CONTRIBUTORS)
    .map(({ name, bytes }) => `${name} +${kilobytes(bytes)}`)
    .join(', ');

/** Delivery's first transformation, measured in fresh processes beside its cold start. */
const measureFirstTransformation = async (workDir: string): Promise<{ jsonataBytes: number; runs: FirstTransformation[] }> => {
  const outDir = join(workDir, 'delivery-first-transformation');
  mkdirSync(outDir);
  const probe = await buildBundle('delivery with the evaluator exported', { contents: DELIVERY_WITH_EVALUATOR }, outDir);
  const jsonataBytes = shipJsonataBeside(probe.file);
  return { jsonataBytes, runs: await firstTransformationTimes(probe.file, functionEnvironment(), ROUNDS) };
};

const checks = (fn: Measured, floor: Measured): TargetCheck[] => {
  const sizeRatio = fn.bundle.bytes / floor.bundle.bytes;
  const importRatio = fn.importRatio;
  const heaviest = `largest additions over the floor: ${contributors(fn.bundle, floor.bundle)}`;
  return [
    {
      name: `${fn.bundle.name} asset size`,
      target: `<= ${MAX_RATIO}x floor`,
      measured: `${kilobytes(fn.bundle.bytes)} (${times(sizeRatio)})`,
      met: sizeRatio <= MAX_RATIO,
      ...(sizeRatio <= MAX_RATIO ? {} : { note: heaviest }),
    },
    {
      name: `${fn.bundle.name} import time`,
      target: `<= ${MAX_RATIO}x floor`,
      measured: `${milliseconds(fn.importMs)} (${times(importRatio)})`,
      met: importRatio <= MAX_RATIO,
      ...(importRatio <= MAX_RATIO ? {} : { note: heaviest }),
    },
  ];
};

export const coldStart: Benchmark = {
  id: 'cold-start',
  title: 'Cold start: asset size and handler import time',
  async run(): Promise<BenchSection> {
    const workDir = mkdtempSync(join(tmpdir(), 'webhook-fanout-cold-start-'));
    try {
      const bundles: Bundle[] = [];
      for (const [name, entry] of entries()) {
        const outDir = join(workDir, name.replace(/\W+/g, '-'));
        mkdirSync(outDir);
        bundles.push(await buildBundle(name, entry, outDir));
      }
      const importTimes = await importTimesRoundRobin(
        bundles.map((bundle) => bundle.file),
        functionEnvironment(),
        ROUNDS,
      );
      // A ratio per round, of imports taken back to back, cancels what drifts between rounds on a shared machine.
      const floorTimes = importTimes[0]!;
      const measured: Measured[] = bundles.map((bundle, index) => ({
        bundle,
        importMs: median(importTimes[index]!),
        importRatio: median(importTimes[index]!.map((ms, round) => ms / floorTimes[round]!)),
      }));
      const [floor, , ...functions] = measured as [Measured, Measured, ...Measured[]];
      const transformation = await measureFirstTransformation(workDir);
      const firstMs = median(transformation.runs.map((r) => r.firstMs));
      const loadedAtImport = transformation.runs.filter((r) => r.loadedAtImport).length;
      const failed = transformation.runs.filter((r) => r.failures.length > 0);
      return {
        id: 'cold-start',
        title: 'Cold start: asset size and handler import time',
        method:
          `Each function's asset is built from lambdas/<name>/handler.ts with esbuild's JS API and the options the construct ` +
          `gives NodejsFunction (bundled, minified, CommonJS, target node22, no source map; external only what the construct ` +
          `ships beside the bundle, JSONata, which a function loads on its first transformation), next to ` +
          `the SDK floor (an entry that only creates an SQSClient and a DynamoDBClient) and a hello-world handler built the ` +
          `same way. Size is all of an asset's JS files. Import time is measured inside a fresh \`node\` process, from just ` +
          `before \`require\` of the asset to just after, with the environment the functions need to load (stand-in table ` +
          `names, queue URLs, region and credentials; nothing is called at import); the figure is the median of ` +
          `${ROUNDS} processes per asset, taken round-robin across the assets after one uncounted warm-up round, so drift ` +
          `weighs on all alike. An import ratio is the median over the rounds of the asset's time over the floor's in the ` +
          `same round. Package contributions come from esbuild's metafile. The delivery function's first transformation is ` +
          `measured apart, in ${ROUNDS} more fresh processes: the delivery code (with the evaluator exported) is imported, JSONata ` +
          `is shipped beside it as the construct ships it, then the time to a first expression's result (loading JSONata, ` +
          `compiling, evaluating) and to a second one's is taken.`,
        columns: ['asset', 'size', 'size / floor', 'import (median)', 'import / floor', 'largest additions over the floor'],
        rows: measured.map(({ bundle, importMs, importRatio }) => [
          bundle.name,
          kilobytes(bundle.bytes),
          times(bundle.bytes / floor.bundle.bytes),
          milliseconds(importMs),
          times(importRatio),
          bundle === floor.bundle ? '' : contributors(bundle, floor.bundle),
        ]).concat([[
          'delivery: first transformation (once)',
          kilobytes(transformation.jsonataBytes),
          '',
          `+${milliseconds(firstMs)}`,
          '',
          'jsonata, loaded on the first transformation',
        ]]),
        targets: [
          ...functions.flatMap((fn) => checks(fn, floor)),
          {
            name: 'delivery cold start without a transformation',
            target: 'JSONata not loaded at import',
            measured: `loaded in ${loadedAtImport} of ${transformation.runs.length} imports`,
            met: loadedAtImport === 0 && transformation.runs.every((r) => r.loadedAfter),
          },
          {
            name: 'delivery first transformation',
            target: `a body in every fresh process (evaluation guard ${TRANSFORMATION_GUARDS.timeoutMs} ms)`,
            measured: `${failed.length} of ${transformation.runs.length} failed`,
            met: failed.length === 0,
            ...(failed.length === 0 ? {} : { note: [...new Set(failed.flatMap((r) => r.failures))].join('; ') }),
          },
        ],
        notes: [
          `The first transformation costs ${milliseconds(firstMs)} once per execution environment (median of ${transformation.runs.length} ` +
            `fresh processes: loading JSONata, ${kilobytes(transformation.jsonataBytes)}, then compiling and evaluating); a second ` +
            `expression then takes ${milliseconds(median(transformation.runs.map((r) => r.secondMs)))}. Importing the delivery code in ` +
            `those processes took ${milliseconds(median(transformation.runs.map((r) => r.importMs)))} (median), the delivery row's cold start.`,
          `Import times of the floor across its ${ROUNDS} processes: ${milliseconds(Math.min(...importTimes[0]!))} to ` +
            `${milliseconds(Math.max(...importTimes[0]!))}.`,
          `To fit ${MAX_RATIO}x the floor (${kilobytes(MAX_RATIO * floor.bundle.bytes)}), the assets would lose: ` +
            functions.map(({ bundle }) => `${bundle.name} ${kilobytes(Math.max(0, bundle.bytes - MAX_RATIO * floor.bundle.bytes))}`).join(', ') +
            '. "own code" is the project\'s sources (lambdas/); every other name is a package.',
          'What is left over the floor is mostly what the design asks every function to carry: Powertools Logger and ' +
            "Metrics (logs and metrics go through Powertools), middy (whose core loads node:stream/web at import, a few " +
            'milliseconds), zod/mini for the schemas, and in api and delivery ipaddr.js, the SSRF guard\'s address ' +
            'classes. Full zod, the OpenAPI generator, the Powertools batch utility, util-dynamodb and ulid are already ' +
            'out of every bundle (docs/decisions.md); the rest would mean replacing those chosen libraries with code of our own.',
        ],
      };
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  },
};
