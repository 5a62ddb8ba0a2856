import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../lambdas/core/telemetry-names';
import { startPipeline, type Pipeline } from '../support/pipeline';
import { ReceiverPool } from '../support/receiver';
import { captureOutput } from '../support/capture-output';

interface EmfLine {
  _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
}

/**
 * Runs real deliveries through the handlers and reads the embedded-metric-format lines they write
 * on stdout: what CloudWatch Logs would turn into metrics on AWS.
 */
describe('Metrics of a full run', () => {
  let pipeline: Pipeline;
  const receivers = new ReceiverPool();
  let output: ReturnType<typeof captureOutput>;

  const emfLines = (): EmfLine[] =>
    output
      .text()
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as EmfLine);
  const withMetric = (name: string): EmfLine[] => emfLines().filter((line) => name in line);
  const sum = (lines: EmfLine[], name: string): number =>
    lines.flatMap((line) => [line[name]].flat() as number[]).reduce((total, value) => total + value, 0);

  beforeAll(async () => {
    output = captureOutput();
    pipeline = await startPipeline({
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
  });

  afterAll(async () => {
    output.restore();
    await receivers.closeAll();
  });

  it('counts accepted events, fan-out size, attempts, successes and failures by reason, per service only', async () => {
    // Prepare
    const key = await pipeline.createKey('metrics');
    const ok = await receivers.start();
    const failing = await receivers.start(() => ({ status: 500, body: 'no' }));
    const subscriptions: string[] = [];
    for (const target of [ok, failing]) {
      const created = await pipeline.call('POST', '/v1/subscriptions', { key, body: { url: target.url, eventTypes: ['*'] } });
      subscriptions.push(created.body.id);
    }

    // Act
    const published = await pipeline.call('POST', '/v1/events', { key, body: { type: 'metrics.test', data: { n: 1 } } });
    // An ingest invocation that counts nothing.
    const refused = await pipeline.call('POST', '/v1/events', { key: `${key}x`, body: { type: 'metrics.test', data: {} } });
    await pipeline.drain({ until: () => ok.requests.length >= 1 && failing.requests.length >= 1 });

    // Assess
    expect(published.status).toBe(202);
    expect(refused.status).toBe(401);
    const lines = emfLines();
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const [directive] = line._aws.CloudWatchMetrics;
      expect(directive?.Namespace).toBe('WebhookFanout');
      // Cost stays flat as tenants grow: no tenant, subscription or event is ever a dimension, or even a key.
      for (const dimensions of directive?.Dimensions ?? []) expect(['service', 'reason']).toEqual(expect.arrayContaining(dimensions));
      expect(line.service).toBe('webhook-fanout');
      const serialized = JSON.stringify(line);
      for (const id of [...subscriptions, published.body.id, 'metrics']) expect(serialized).not.toContain(`"${id}"`);
    }

    expect(sum(withMetric(METRIC_NAMES.eventsAccepted), METRIC_NAMES.eventsAccepted)).toBe(1);
    expect(sum(withMetric(METRIC_NAMES.fanoutDeliveries), METRIC_NAMES.fanoutDeliveries)).toBe(2);

    const attempts = withMetric(METRIC_NAMES.deliveryAttempts);
    expect(sum(attempts, METRIC_NAMES.deliveryAttempts)).toBe(2);
    expect(sum(withMetric(METRIC_NAMES.deliverySucceeded), METRIC_NAMES.deliverySucceeded)).toBe(1);
    for (const line of attempts) expect(line._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(withMetric(METRIC_NAMES.deliveryLatency).flatMap((line) => [line[METRIC_NAMES.deliveryLatency]].flat())).toHaveLength(2);
    expect(withMetric(METRIC_NAMES.endToEndLatency)).toHaveLength(1);
    expect(withMetric(METRIC_NAMES.deliveryLag).flatMap((line) => [line[METRIC_NAMES.deliveryLag]].flat())).toHaveLength(2);

    const failures = withMetric(METRIC_NAMES.deliveryFailed);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ reason: 'server_error', [METRIC_NAMES.deliveryFailed]: 1 });
    expect(failures[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'reason']]);

    // The refused request's invocation counted nothing, and says nothing about it.
    expect(output.text()).not.toContain('No application metrics to publish');
  });
});
