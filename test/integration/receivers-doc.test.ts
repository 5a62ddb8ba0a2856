import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret, signatureHeader } from '../../lambdas/core/signing';
import { freePort } from '../../local/free-ports';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');

/** The first ```ts block of docs/receivers.md, as a reader would copy it. */
const documentedReceiver = (): string => {
  const doc = readFileSync(join(ROOT, 'docs', 'receivers.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(doc);
  if (block === null) throw new Error('docs/receivers.md has no ts code block');
  return block[1]!;
};

/**
 * The Node.js receiver of docs/receivers.md, run as written: it must accept what the delivery
 * function signs, during a rotation too, and refuse forged and stale requests.
 */
describe('docs/receivers.md: the Node.js receiver it shows', () => {
  const secret = generateSecret();
  let child: ChildProcess | undefined;
  let url = '';
  let output = '';

  beforeAll(async () => {
    // Under node_modules so the copy resolves `standardwebhooks` as the reader's project would.
    const dir = join(ROOT, 'node_modules', '.cache', 'webhook-fanout-docs');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'receiver.ts');
    writeFileSync(file, documentedReceiver());
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env: { ...process.env, WEBHOOK_SECRET: secret, PORT: String(port) } });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let tries = 0; ; tries++) {
      if (await fetch(url, { method: 'POST', body: '' }).then(() => true, () => false)) break;
      if (tries > 150 || child.exitCode !== null) throw new Error(`the documented receiver did not start:\n${output}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }, 30_000);

  afterAll(() => {
    child?.kill();
  });

  const deliver = (options: { secrets?: string[]; timestampSeconds?: number; body?: string; tamper?: boolean } = {}) => {
    const body = options.body ?? JSON.stringify({ type: 'order.created', timestamp: new Date().toISOString(), data: { orderId: 42, note: 'café ✓' } });
    const id = 'evt_01J0000000000000000000000A';
    const timestampSeconds = options.timestampSeconds ?? Math.floor(Date.now() / 1000);
    const signed = signatureHeader(options.secrets ?? [secret], { id, timestampSeconds, body });
    return fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': signed },
      body: options.tamper ? body.replace('42', '43') : body,
    }).then((response) => response.status);
  };

  it('accepts a request signed as the delivery function signs it', async () => {
    expect(await deliver()).toBe(204);
  });

  it('accepts a request signed with two secrets during a rotation, whichever it holds', async () => {
    expect(await deliver({ secrets: [generateSecret(), secret] })).toBe(204);
    expect(await deliver({ secrets: [secret, generateSecret()] })).toBe(204);
  });

  it('refuses a forged signature, a changed body and a stale timestamp', async () => {
    expect(await deliver({ secrets: [generateSecret()] })).toBe(401);
    expect(await deliver({ tamper: true })).toBe(401);
    expect(await deliver({ timestampSeconds: Math.floor(Date.now() / 1000) - 600 })).toBe(401);
  });
});
