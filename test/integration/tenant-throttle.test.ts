import { beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, type Pipeline } from '../support/pipeline';

describe('Per-tenant rate limit of the HTTP API against the emulators', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline({ TENANT_RATE_LIMIT_PER_SECOND: '3' });
  });

  it('answers 429 throttled in the error shape beyond the limit, per tenant, and never for /health', async () => {
    // Prepare
    const busy = await pipeline.createKey('busy');
    const quiet = await pipeline.createKey('quiet');

    // Act
    const burst = await Promise.all(Array.from({ length: 10 }, () => pipeline.call('GET', '/v1/subscriptions', { key: busy })));
    const other = await pipeline.call('GET', '/v1/subscriptions', { key: quiet });
    const health = await Promise.all(Array.from({ length: 5 }, () => pipeline.call('GET', '/health')));

    // Assess
    const throttled = burst.filter((response) => response.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(burst.filter((response) => response.status === 200).length).toBeGreaterThan(0);
    for (const response of throttled) {
      expect(response.body).toEqual({ error: { code: 'throttled', message: expect.stringContaining('3 requests per second') } });
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(other.status).toBe(200);
    expect(health.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
  });
});
