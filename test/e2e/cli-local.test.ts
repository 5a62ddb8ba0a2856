import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-process';
import { call, PROJECT_ROOT, startRuntime, STARTUP_BOUND_MS, type StartedRuntime } from './local-runtime-process';

const run = promisify(execFile);

/** The operator CLI with `--local`: the same commands, against the pipeline `npm start` runs. */
describe('CLI: webhook-fanout --local against a running npm start', () => {
  let runtime: StartedRuntime | undefined;

  const cli = (...args: string[]) => runCli(runtime!.process.stateFile, args);

  beforeAll(async () => {
    runtime = await startRuntime();
  }, STARTUP_BOUND_MS + 10_000);

  afterAll(async () => {
    if (runtime === undefined) return;
    expect((await runtime.process.stop()).code).toBe(0);
  });

  it('creates a key the local API accepts, lists it and revokes it', async () => {
    // Act
    const created = await cli('keys', 'create', '--tenant', 'operator-made', '--json');
    const { key, keyId } = JSON.parse(created.stdout) as { key: string; keyId: string };
    const accepted = await call(runtime!.baseUrl, 'GET', '/v1/subscriptions', { key });
    const listed = await cli('keys', 'list', '--tenant', 'operator-made', '--json');
    const revoked = await cli('keys', 'revoke', keyId);

    // Assess
    expect(created.code, created.stderr).toBe(0);
    expect(accepted.status).toBe(200);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ keyId, tenantId: 'operator-made' })]);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${keyId}\n` });
  });

  it('prints a created key on standard output and the note to store it on standard error', async () => {
    // Act
    const created = await cli('keys', 'create', '--tenant', 'noted');

    // Assess
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^API key: wfk_\S+\nkey id: +key_\S+ +tenant: noted +scopes: \S+\n$/);
    expect(created.stderr).toBe('Store it now: it is shown only once.\n');
  });

  it('lists the local dead-letter queue', async () => {
    // Act
    const listed = await cli('dlq', 'list', '--queue', 'delivery', '--json');

    // Assess
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });

  it('says plainly when no local pipeline is running', async () => {
    // Act
    const result = await run(process.execPath, ['cli/bin.mjs', '--local', 'keys', 'list'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, LOCAL_STATE_FILE: '/nonexistent/runtime.json' },
    }).catch((error: { code: number; stderr: string }) => error);

    // Assess
    expect(result).toMatchObject({ code: 1 });
    expect((result as { stderr: string }).stderr).toContain('no local pipeline is running');
  });
});
