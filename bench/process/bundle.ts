import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { FUNCTION_BUNDLING } from '../../lib/webhook-fanout';
import { PROJECT_ROOT } from './worker';

/**
 * The construct's bundling options (lib/webhook-fanout/functions.ts) in the esbuild JS API's terms, plus
 * what NodejsFunction adds itself (`--bundle`, `--platform=node`, run from the project root).
 */
const CONSTRUCT_BUNDLING: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: FUNCTION_BUNDLING.target,
  format: FUNCTION_BUNDLING.format === OutputFormat.CJS ? 'cjs' : 'esm',
  mainFields: [...FUNCTION_BUNDLING.mainFields],
  minify: FUNCTION_BUNDLING.minify,
  sourcemap: FUNCTION_BUNDLING.sourceMap,
  external: [...FUNCTION_BUNDLING.externalModules],
  absWorkingDir: PROJECT_ROOT,
};

export interface Bundle {
  name: string;
  /** The asset's entry file, as Lambda loads it. */
  file: string;
  /** All JS files of the asset. */
  bytes: number;
  /** Output bytes per package (or `own code` for the project's sources). */
  bytesByPackage: Map<string, number>;
}

/** Where a bundled input came from: its package (the innermost `node_modules` entry), or our own code. */
const packageOf = (inputPath: string): string => {
  const parts = inputPath.split('node_modules/');
  if (parts.length === 1) return 'own code';
  const rest = parts[parts.length - 1]!.split('/');
  return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
};

const bytesByPackage = (metafile: Metafile): Map<string, number> => {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return totals;
};

const jsBytes = (dir: string): number =>
  readdirSync(dir)
    .filter((file) => /\.[cm]?js$/.test(file))
    .reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);

/** An entry point: a source file of the project, or source text (resolved from the project root). */
export type BundleEntry = { file: string } | { contents: string };

/** Builds one asset the way the construct does, into `outDir` (which must be its own directory). */
export const buildBundle = async (name: string, entry: BundleEntry, outDir: string): Promise<Bundle> => {
  const file = join(outDir, 'index.js');
  const { metafile } = await build({
    ...CONSTRUCT_BUNDLING,
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.contents, resolveDir: PROJECT_ROOT, sourcefile: `${name}.ts`, loader: 'ts' } }),
    outfile: file,
    // Changes nothing in the output: it only reports where the bytes come from.
    metafile: true,
    logLevel: 'warning',
  });
  return { name, file, bytes: jsBytes(outDir), bytesByPackage: bytesByPackage(metafile) };
};

/** The packages that add the most bytes over `baseline`, largest first. */
export const largestAdditions = (bundle: Bundle, baseline: Bundle, count: number): Array<{ name: string; bytes: number }> =>
  [...bundle.bytesByPackage.entries()]
    .map(([name, bytes]) => ({ name, bytes: bytes - (baseline.bytesByPackage.get(name) ?? 0) }))
    .filter((addition) => addition.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count);
