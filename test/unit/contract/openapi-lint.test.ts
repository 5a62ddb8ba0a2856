import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const REDOCLY_CLI = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');

interface LintReport {
  readonly totals: { readonly errors: number; readonly warnings: number };
  readonly problems: readonly { readonly ruleId: string; readonly severity: string; readonly message: string }[];
}

/** Redocly's lint of a document with its `recommended` rules, as a JSON report. */
function redoclyLint(document: string): LintReport {
  const result = spawnSync(
    process.execPath,
    [REDOCLY_CLI, 'lint', document, '--extends', 'recommended', '--format', 'json'],
    {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      // No usage report or update check leaves the machine.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  );
  if (result.error) throw result.error;
  if (!result.stdout.trim().startsWith('{')) {
    throw new Error(`redocly lint printed no report (exit ${result.status}): ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as LintReport;
}

describe('OpenAPI document: Redocly lint', () => {
  it('finds no error or warning in docs/openapi.json with the recommended rules', () => {
    const report = redoclyLint('docs/openapi.json');

    expect(report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });
});
