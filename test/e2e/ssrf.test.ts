import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startRuntime, STARTUP_BOUND_MS, type StartedRuntime } from './local-runtime-process';

/** Internal targets, however they are spelled: each must be refused. */
const INTERNAL_TARGETS = [
  'http://127.0.0.1/hook',
  'http://127.1/hook',
  'http://2130706433/hook',
  'http://0x7f000001/hook',
  'http://0x7f.1/hook',
  'http://0177.0.0.1/hook',
  'http://%31%32%37.0.0.1/hook',
  'http://localhost/hook',
  'http://LOCALHOST./hook',
  'http://[::1]/hook',
  'http://[::ffff:127.0.0.1]/hook',
  'http://[::ffff:7f00:1]/hook',
  'http://[64:ff9b::7f00:1]/hook',
  'http://[2002:7f00:1::1]/hook',
  'http://0.0.0.0/hook',
  'http://[::]/hook',
  'http://169.254.169.254/latest/meta-data/',
  'http://[fe80::1]/hook',
  'http://10.0.0.1/hook',
  'http://172.16.0.1/hook',
  'http://192.168.1.1/hook',
  'http://100.64.0.1/hook',
  'http://224.0.0.1/hook',
  'http://255.255.255.255/hook',
  'http://192.0.2.1/hook',
  'http://198.51.100.1/hook',
  'http://240.0.0.1/hook',
  'http://[fd00::1]/hook',
  'http://[ff02::1]/hook',
  'http://[2001:db8::1]/hook',
];

describe('Local runtime with WEBHOOK_ALLOWED_PRIVATE_NETWORKS set but empty', () => {
  let runtime: StartedRuntime | undefined;

  beforeAll(async () => {
    runtime = await startRuntime({ WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '' });
  }, STARTUP_BOUND_MS + 10_000);

  afterAll(async () => {
    if (runtime === undefined) return;
    const exit = await runtime.process.stop();
    expect(exit.code).toBe(0);
  });

  it.each(INTERNAL_TARGETS)('refuses %s with a 422 that says why', async (url) => {
    // Act
    const response = await call<{ error: { code: string; message: string } }>(runtime!.baseUrl, 'POST', '/v1/subscriptions', {
      key: runtime!.apiKey,
      body: { url, eventTypes: ['*'] },
    });

    // Assess
    expect(response.status, response.text).toBe(422);
    expect(response.body.error.code).toBe('url_not_allowed');
    expect(response.body.error.message).toMatch(/not a public address|resolves to/);
  });

  it('refuses the same targets when an existing subscription is changed to them', async () => {
    // Prepare
    const created = await call<{ id: string }>(runtime!.baseUrl, 'POST', '/v1/subscriptions', {
      key: runtime!.apiKey,
      body: { url: 'https://93.184.215.14/hook', eventTypes: ['*'] },
    });

    // Act
    const statuses = [];
    for (const url of INTERNAL_TARGETS) {
      const response = await call(runtime!.baseUrl, 'PATCH', `/v1/subscriptions/${created.body.id}`, { key: runtime!.apiKey, body: { url } });
      statuses.push(response.status);
    }

    // Assess
    expect(created.status).toBe(201);
    expect(new Set(statuses)).toEqual(new Set([422]));
  });
});
