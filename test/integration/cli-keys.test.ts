import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, type Pipeline } from '../support/pipeline';

const run = promisify(execFile);

const cli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ['cli/bin.mjs', ...args], { env: { ...process.env, ...env }, cwd: process.cwd() }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

describe('CLI: webhook-fanout keys', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    // No key cache, so a revocation shows at once (deployed: within API_KEY_CACHE_SECONDS, 30 s).
    pipeline = await startPipeline({ API_KEY_CACHE_SECONDS: '0' });
  });

  it('creates a key in the API keys table that the API then accepts, printing it once', async () => {
    // Act
    const created = await cli(['keys', 'create', '--tenant', 'cli-tenant', '--table', pipeline.env.API_KEYS_TABLE!, '--json'], pipeline.env);

    // Assess
    expect(created.code).toBe(0);
    const output = JSON.parse(created.stdout) as { key: string; tenantId: string; scopes: string[] };
    expect(output).toMatchObject({ tenantId: 'cli-tenant', scopes: ['events:write', 'subscriptions:write', 'read'] });
    const response = await pipeline.call('GET', '/v1/subscriptions', { key: output.key });
    expect(response.status).toBe(200);
  });

  it('limits a key to the scopes asked for', async () => {
    // Act
    const created = await cli(['keys', 'create', '--tenant', 'cli-tenant', '--scopes', 'read', '--table', pipeline.env.API_KEYS_TABLE!, '--json'], pipeline.env);

    // Assess
    const { key } = JSON.parse(created.stdout) as { key: string };
    expect((await pipeline.call('GET', '/v1/subscriptions', { key })).status).toBe(200);
    expect((await pipeline.call('POST', '/v1/events', { key, body: { type: 'a', data: 1 } })).status).toBe(403);
  });

  it('exits 2 on a usage error and on a bad scope, with a message and no stack trace', async () => {
    // Act
    const missingTenant = await cli(['keys', 'create'], pipeline.env);
    const badScope = await cli(['keys', 'create', '--tenant', 't', '--scopes', 'admin', '--table', 'x'], pipeline.env);

    // Assess
    expect(missingTenant.code).toBe(2);
    expect(missingTenant.stderr).toContain("required option '--tenant <tenant>'");
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain('unknown scope(s) admin');
    expect(badScope.stderr).not.toMatch(/\n\s+at /);
  });

  it('generates well-formed keys offline', async () => {
    const generated = await cli(['keys', 'generate'], {});
    expect(generated.code).toBe(0);
    expect(generated.stdout.trim()).toMatch(/^wfk_[0-9A-Z]{26}_[A-Za-z0-9_-]{49}$/);
  });

  it('lists keys without the keys or their hashes, and revokes one so the API refuses it', async () => {
    // Prepare
    const table = pipeline.env.API_KEYS_TABLE!;
    const created = JSON.parse((await cli(['keys', 'create', '--tenant', 'revoker', '--table', table, '--json'], pipeline.env)).stdout) as {
      key: string;
      keyId: string;
    };
    expect((await pipeline.call('GET', '/v1/subscriptions', { key: created.key })).status).toBe(200);

    // Act
    const listed = await cli(['keys', 'list', '--tenant', 'revoker', '--table', table, '--json'], pipeline.env);
    const revoked = await cli(['keys', 'revoke', created.keyId, '--table', table], pipeline.env);
    const unknown = await cli(['keys', 'revoke', 'key_01HZZZZZZZZZZZZZZZZZZZZZZZ', '--table', table], pipeline.env);
    const afterwards = await cli(['keys', 'list', '--tenant', 'revoker', '--table', table], pipeline.env);

    // Assess
    expect(listed.code).toBe(0);
    const keys = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(keys).toEqual([expect.objectContaining({ keyId: created.keyId, tenantId: 'revoker', scopes: expect.any(Array) })]);
    expect(listed.stdout).not.toContain(created.key);
    expect(keys[0]).not.toHaveProperty('hash');
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${created.keyId}\n` });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no API key');
    expect(afterwards.stdout).toContain('revoked 20');
    const refused = await pipeline.call('GET', '/v1/subscriptions', { key: created.key });
    expect(refused.status).toBe(401);
  });
});
