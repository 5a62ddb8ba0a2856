import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type FaultServer } from '../support/fault-receivers';
import { startPipeline, type Pipeline } from '../support/pipeline';
import type { DeliveryView } from '../support/reconcile';

const TIMEOUT_MS = 3_000;
const SLOW_MS = 300;
const SHARE = 3;
const ENDPOINTS = 4;
const EVENTS = 2;

/**
 * Many endpoints that stop answering at once, through the real handlers and DynamoDB Local: each
 * stays within its own share of slow attempts, yet all of them together may hold only the share of
 * all endpoints (`maxSlowAttempts`); every other slow attempt is cut at the slow-attempt threshold,
 * so the invocations they would have held stay free for endpoints that answer.
 */
describe('Slow attempts of all endpoints together', () => {
  let pipeline: Pipeline;
  let hanging: FaultServer;
  const eventIds: string[] = [];
  let firstWave: DeliveryView[] = [];

  beforeAll(async () => {
    pipeline = await startPipeline({
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
      WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
      WEBHOOK_RETRY_SCHEDULE: '60',
      WEBHOOK_SLOW_ATTEMPT_MS: String(SLOW_MS),
      // Each endpoint's own share would let all of its attempts wait: only the shared one binds.
      WEBHOOK_MAX_SLOW_ATTEMPTS_PER_ENDPOINT: String(EVENTS),
      WEBHOOK_MAX_SLOW_ATTEMPTS: String(SHARE),
      WEBHOOK_CIRCUIT_BREAKER_THRESHOLD: '0',
    });
    hanging = await startHttpServer(() => undefined);
    const key = await pipeline.createKey('slow-attempt-share');
    for (let i = 0; i < ENDPOINTS; i++) await pipeline.subscribe(key, hanging.url(`/endpoint-${i}`));
    for (let i = 0; i < EVENTS; i++) eventIds.push((await pipeline.publish(key, 'order.created', { n: i })).id);

    // Act: the deliveries are received and attempted while no endpoint answers.
    await pipeline.drain();
    const views = await Promise.all(
      eventIds.map(async (eventId) => (await pipeline.call('GET', `/v1/events/${eventId}/deliveries`, { key })).body.items as DeliveryView[]),
    );
    firstWave = views.flat();
  }, 60_000);

  afterAll(async () => {
    await hanging.close();
  });

  it('lets at most the shared number of attempts wait past the threshold, and cuts the rest there naming that share', () => {
    const attempts = firstWave.map((delivery) => delivery.attemptLog[0]!);
    const waitedFully = attempts.filter((attempt) => attempt.error?.startsWith(`no complete answer within ${TIMEOUT_MS} ms`));
    const cutByShare = attempts.filter((attempt) =>
      attempt.error?.startsWith(`cut after ${SLOW_MS} ms without an answer: ${SHARE} slower requests to all endpoints together`),
    );

    expect(firstWave).toHaveLength(ENDPOINTS * EVENTS);
    expect(firstWave.every((delivery) => delivery.status === 'retrying' && delivery.attempts === 1)).toBe(true);
    expect(waitedFully.length).toBeGreaterThan(0);
    expect(waitedFully.length).toBeLessThanOrEqual(SHARE);
    expect(waitedFully.length + cutByShare.length).toBe(ENDPOINTS * EVENTS);
  });
});
