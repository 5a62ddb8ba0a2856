import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, STARTUP_BOUND_MS } from './local-runtime-process';

const run = promisify(execFile);
const DEMO_ARGS = ['--import', 'tsx', 'local/demo.ts'] as const;

/** `npm run demo` as a user runs it: the whole tour, from start to stop, ending with two consumers. */
describe('npm run demo', () => {
  it('is what npm run demo runs', () => {
    // Assess
    const scripts = (JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.demo).toBe(['node', ...DEMO_ARGS].join(' '));
  });

  it('verifies every signature, retries the failing endpoint, and shows each consumer receiving only its own events', async () => {
    // Act
    const { stdout } = await run(process.execPath, [...DEMO_ARGS], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, PORT: '0' },
      timeout: STARTUP_BOUND_MS + 60_000,
    });

    // Assess
    expect(stdout).not.toContain('REFUSED');
    expect(stdout).toMatch(/\[billing\] answering 503 to the first request/);
    expect(stdout).toMatch(/-> sub_\w+: delivered after 2 attempt\(s\)/);
    expect(stdout).toContain('acme received 1 event(s): only its own');
    expect(stdout).toContain('globex received 1 event(s): only its own');
    expect(stdout).toContain("the tenant's own orders endpoint received 0 of them");
    expect(stdout).toContain('Done.');
  }, STARTUP_BOUND_MS + 70_000);
});
