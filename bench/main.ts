import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchmarksMarkdown, machineFacts, textTable, TARGET_COLUMNS, targetRows, type Benchmark, type BenchSection } from './report';
import { benchmarks } from './suite';

/**
 * `npm run bench`: runs every benchmark in turn, prints each table, writes docs/benchmarks.md.
 * `--only a,b` runs some (and then writes nothing unless `--write` is given).
 */
const main = async (): Promise<void> => {
  // The SDK's notice about future Node.js versions would repeat in every worker's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const args = process.argv.slice(2);
  const onlyIndex = args.indexOf('--only');
  const only = onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? '').split(',').filter(Boolean)) : undefined;
  const write = only === undefined || args.includes('--write');
  const chosen: Benchmark[] = only === undefined ? benchmarks : benchmarks.filter((benchmark) => only.has(benchmark.id));
  if (chosen.length === 0) throw new Error(`no benchmark named ${[...(only ?? [])].join(', ')}; there are: ${benchmarks.map((b) => b.id).join(', ')}`);

  const started = performance.now();
  const sections: BenchSection[] = [];
  for (const benchmark of chosen) {
    process.stdout.write(`\n== ${benchmark.title} (${benchmark.id})\n`);
    const sectionStart = performance.now();
    const section = await benchmark.run();
    sections.push(section);
    process.stdout.write(textTable(section.columns, section.rows) + '\n');
    if (section.targets !== undefined && section.targets.length > 0) {
      process.stdout.write('\n' + textTable(TARGET_COLUMNS, targetRows(section.targets)) + '\n');
    }
    for (const note of section.notes ?? []) process.stdout.write(`  - ${note}\n`);
    process.stdout.write(`  (${((performance.now() - sectionStart) / 1000).toFixed(1)} s)\n`);
  }
  const seconds = (performance.now() - started) / 1000;
  if (write) {
    const file = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'benchmarks.md');
    writeFileSync(file, benchmarksMarkdown(machineFacts(), sections, seconds));
    process.stdout.write(`\nwrote ${file} (${seconds.toFixed(0)} s in all)\n`);
  }
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
