import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type FaultServer } from '../support/fault-receivers';
import { startPipeline, type Pipeline } from '../support/pipeline';
import type { DeliveryView } from '../support/reconcile';

const TIMEOUT_MS = 4_000;
const SLOW_MS = 300;
const SLOTS = 2;
const THRESHOLD = 3;
const EVENTS = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An endpoint that stops answering, through the real handlers and DynamoDB Local: an instance that
 * has not heard it answer sends it no more at once than its breaker's threshold, it may hold only
 * its share of slow attempts, its circuit opens, its deliveries wait without spending attempts,
 * and when it answers again one probe closes the circuit and everything is delivered.
 */
describe('Endpoint isolation: an endpoint that stops answering', () => {
  let pipeline: Pipeline;
  let receiver: FaultServer;
  let key: string;
  let subscriptionId: string;
  const eventIds: string[] = [];
  const requests: { id: string; phase: 'hanging' | 'answering' }[] = [];
  let answering = false;
  let open = 0;
  let mostOpenWhileHanging = 0;
  let firstWave: (DeliveryView | undefined)[] = [];
  let requestsInFirstWave = 0;
  let circuitWhileHanging: Record<string, unknown> = {};
  let requestsWhileWaiting = 0;

  const deliveriesOf = async (eventId: string): Promise<DeliveryView | undefined> => {
    const response = await pipeline.call('GET', `/v1/events/${eventId}/deliveries`, { key });
    return response.body.items[0] as DeliveryView | undefined;
  };
  const all = () => Promise.all(eventIds.map(deliveriesOf));

  beforeAll(async () => {
    pipeline = await startPipeline({
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_PRIVATE_NETWORKS: '127.0.0.0/8',
      WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
      WEBHOOK_RETRY_SCHEDULE: '1,1,1',
      WEBHOOK_SLOW_ATTEMPT_MS: String(SLOW_MS),
      WEBHOOK_MAX_SLOW_ATTEMPTS_PER_ENDPOINT: String(SLOTS),
      WEBHOOK_CIRCUIT_BREAKER_THRESHOLD: String(THRESHOLD),
    });
    receiver = await startHttpServer((req: IncomingMessage, res) => {
      requests.push({ id: String(req.headers['webhook-id']), phase: answering ? 'answering' : 'hanging' });
      if (answering) {
        res.writeHead(200).end();
        return;
      }
      // Held open until the sender gives up on it: count the requests held at once.
      open += 1;
      mostOpenWhileHanging = Math.max(mostOpenWhileHanging, open);
      res.on('close', () => (open -= 1));
    });
    key = await pipeline.createKey('isolation');
    subscriptionId = (await pipeline.subscribe(key, receiver.url())).id;
    for (let i = 0; i < EVENTS; i++) eventIds.push((await pipeline.publish(key, 'order.created', { n: i })).id);

    // Act 1: one invocation receives all eight deliveries while the endpoint never answers.
    const first = await pipeline.delivery.pollOnce(0);
    expect(first.received).toBe(EVENTS);
    firstWave = await all();
    requestsInFirstWave = requests.length;
    circuitWhileHanging = (await pipeline.call('GET', `/v1/subscriptions/${subscriptionId}`, { key })).body.circuit;

    // Act 2: the retries fall due (1 s) while the endpoint still hangs; poll for a while.
    const before = requests.length;
    const waitUntil = Date.now() + 3_000;
    while (Date.now() < waitUntil) {
      await pipeline.delivery.pollOnce(0);
      await sleep(100);
    }
    requestsWhileWaiting = requests.length - before;

    // Act 3: the endpoint answers again.
    answering = true;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(await all()).every((d) => d?.status === 'delivered')) {
      await pipeline.delivery.pollOnce(0);
      await sleep(200);
    }
  }, 120_000);

  afterAll(async () => {
    await receiver.close();
  });

  it('is sent no more at once than its breaker threshold while it has never answered; the rest wait without an attempt', () => {
    const attempted = firstWave.filter((delivery) => delivery !== undefined);

    // Without the smaller line all eight would be held open at once.
    expect(mostOpenWhileHanging).toBe(THRESHOLD);
    expect(attempted.every((delivery) => delivery.status === 'retrying')).toBe(true);
    // Every request the endpoint got is one recorded attempt; the deliveries that waited in line
    // and gave up there went back to the queue with no attempt and no record.
    expect(attempted.reduce((sum, delivery) => sum + delivery.attempts, 0)).toBe(requestsInFirstWave);
    expect(attempted.length).toBeLessThan(EVENTS);
  });

  it('lets at most its share of attempts wait past the slow threshold and cuts the rest there, each counted once', () => {
    const attempts = firstWave.flatMap((delivery) => delivery?.attemptLog ?? []);
    const waitedFully = attempts.filter((attempt) => attempt.error?.startsWith(`no complete answer within ${TIMEOUT_MS} ms`));
    const cut = attempts.filter((attempt) => attempt.error?.startsWith(`cut after ${SLOW_MS} ms without an answer`));

    expect(attempts.every((attempt) => attempt.reason === 'timeout' && (attempt as { requestSent?: boolean }).requestSent === true)).toBe(true);
    expect(waitedFully.length).toBeLessThanOrEqual(SLOTS);
    expect(cut.length).toBeGreaterThanOrEqual(THRESHOLD - SLOTS);
    expect(waitedFully.length + cut.length).toBe(attempts.length);
  });

  it('opens the circuit and shows it on the subscription: state, since, count and last error', () => {
    expect(circuitWhileHanging).toMatchObject({
      state: 'open',
      since: expect.any(String),
      nextProbeAt: expect.any(String),
      lastError: expect.stringContaining('timeout'),
    });
    expect(circuitWhileHanging.consecutiveFailures).toBeGreaterThanOrEqual(THRESHOLD);
  });

  it('makes due deliveries wait while the circuit is open: at most one probe reaches the endpoint, not eight', () => {
    expect(requestsWhileWaiting).toBeLessThanOrEqual(1);
  });

  it('closes at the first answer and delivers everything, with no attempt spent on waiting', async () => {
    const final = (await all()).filter((delivery) => delivery !== undefined);
    const circuit = (await pipeline.call('GET', `/v1/subscriptions/${subscriptionId}`, { key })).body.circuit;
    const hangingRequests = requests.filter((request) => request.phase === 'hanging').length;

    expect(final.map((delivery) => delivery.status)).toEqual(Array(EVENTS).fill('delivered'));
    expect(circuit).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    // Every request the endpoint got is one logged attempt, and every attempt reached it.
    for (const delivery of final) {
      expect(requests.filter((request) => request.id === delivery.eventId)).toHaveLength(delivery.attempts);
    }
    // The first wave, the probes made while it hung, and one delivering attempt each: nothing else.
    expect(final.reduce((sum, delivery) => sum + delivery.attempts, 0)).toBe(hangingRequests + EVENTS);
  });
});
