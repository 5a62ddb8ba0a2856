import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthTemplate } from '../../local/template/synth';

/*
 * cfn-lint (AWS's CloudFormation linter, a Python tool) on the templates `cdk synth` writes. .ci/run
 * installs it where it is missing; on a machine without it these tests are reported as skipped, and
 * the suite's title says so.
 */

interface CfnLintMatch {
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Rule: { readonly Id: string };
  readonly Message: string;
  readonly Location: { readonly Path: readonly (string | number)[] };
}

function cfnLintVersion(): string | undefined {
  const result = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

const version = cfnLintVersion();
const workDir = mkdtempSync(path.join(tmpdir(), 'webhook-fanout-cfn-lint-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** cfn-lint's errors and warnings on a template, one line each. */
function lint(name: string, template: unknown): string[] {
  const file = path.join(workDir, `${name}.template.json`);
  writeFileSync(file, JSON.stringify(template, null, 1));
  const result = spawnSync('cfn-lint', ['--format', 'json', '--', file], { encoding: 'utf8' });
  if (result.error) throw result.error;
  if (!result.stdout.trim().startsWith('[')) {
    throw new Error(`cfn-lint printed no report (exit ${result.status}): ${result.stderr}`);
  }
  return (JSON.parse(result.stdout) as CfnLintMatch[])
    .filter((match) => match.Level !== 'Informational')
    .map((match) => `${match.Level} ${match.Rule.Id} at ${match.Location.Path.join('/')}: ${match.Message}`);
}

const NOT_RUN = 'cfn-lint NOT RUN: cfn-lint is not installed (pip install cfn-lint)';
if (version === undefined) console.warn(`${NOT_RUN}: the CloudFormation templates were not linted`);
const title = version ?? NOT_RUN;

describe(`Template: ${title}`, () => {
  it.runIf(version !== undefined)('finds no error or warning in the template of the app (bin/app.ts, default context)', () => {
    expect(lint('default', synthTemplate())).toEqual([]);
  });

  it.runIf(version !== undefined)('finds no error or warning with alarm e-mails on a topic of the stack', () => {
    const context = { stackName: 'WebhookFanout-staging', alarmEmail: 'ops@example.com' };

    expect(lint('alarm-emails', synthTemplate({ context }))).toEqual([]);
  });
});
