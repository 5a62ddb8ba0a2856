import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiverPool } from '../support/receiver';
import { startPipeline, type Pipeline } from '../support/pipeline';
import { captureOutput } from '../support/capture-output';

/**
 * Runs the whole path with the most verbose logging and reads everything the functions wrote:
 * no signing secret and no API key may appear in it.
 */
describe('Logs of a full run', () => {
  let pipeline: Pipeline;
  const receivers = new ReceiverPool();
  let output: ReturnType<typeof captureOutput>;

  beforeAll(async () => {
    output = captureOutput();
    pipeline = await startPipeline({
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
      WEBHOOK_RETRY_SCHEDULE: '1',
    });
  });

  afterAll(async () => {
    output.restore();
    await receivers.closeAll();
  });

  it('never contains a signing secret or an API key', async () => {
    // Prepare
    const key = await pipeline.createKey('logs');
    const ok = await receivers.start();
    const failing = await receivers.start(() => ({ status: 500, body: 'no' }));
    const gone = await receivers.start(() => ({ status: 410 }));
    const secrets: string[] = [];
    for (const target of [ok, failing, gone]) {
      const created = await pipeline.call('POST', '/v1/subscriptions', { key, body: { url: target.url, eventTypes: ['*'] } });
      secrets.push(created.body.secret);
      const rotated = await pipeline.call('POST', `/v1/subscriptions/${created.body.id}/rotate-secret`, { key });
      secrets.push(rotated.body.secret);
    }

    // Act
    await pipeline.call('POST', '/v1/events', { key, body: { type: 'secret.test', data: { n: 1 } } });
    await pipeline.call('POST', '/v1/events', { key, body: '{"broken', headers: { 'content-type': 'application/json' } });
    await pipeline.call('GET', '/v1/subscriptions', { key: key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A') });
    await pipeline.drain({ until: () => ok.requests.length >= 1 && failing.requests.length >= 2 && gone.requests.length >= 1, timeoutMs: 20_000 });
    await pipeline.drain();

    // Assess
    const logs = output.text();
    // The capture really holds the functions' logs: accepted events and delivery attempts.
    expect(logs).toContain('"message":"event accepted"');
    expect(logs).toContain('"message":"delivery"');
    for (const secret of secrets) {
      expect(logs).not.toContain(secret);
      expect(logs).not.toContain(secret.slice('whsec_'.length));
    }
    expect(logs).not.toContain('whsec_');
    expect(logs).not.toContain(key);
    expect(logs).not.toContain(key.slice(0, 40));
  });
});
