import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../lambdas/core/api-keys';
import { Receiver } from '../support/receiver';
import { call, startRuntime, waitFor, waitForResponse, type StartedRuntime } from './local-runtime-process';

/**
 * `npm start` end to end: one runtime for this file, started as a user starts it, and only HTTP
 * between the test and the runtime; the subscribers are real HTTP servers on 127.0.0.1.
 */
describe('Local runtime (npm start): API and signed fan-out over HTTP', () => {
  let runtime: StartedRuntime;
  const receivers: Receiver[] = [];

  const api = (method: string, path: string, options: { body?: unknown; rawBody?: string | Uint8Array; key?: string | null } = {}) =>
    call(runtime.baseUrl, method, path, {
      ...(options.key === null ? {} : { key: options.key ?? runtime.apiKey }),
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(options.rawBody === undefined ? {} : { rawBody: options.rawBody }),
    });

  const receiver = async () => {
    const started = await Receiver.start();
    receivers.push(started);
    return started;
  };

  const subscribe = async (url: string, eventTypes: string[]) => {
    const response = await api('POST', '/v1/subscriptions', { body: { url, eventTypes } });
    expect(response.status, response.text).toBe(201);
    return response.body as { id: string; secret: string };
  };

  beforeAll(async () => {
    runtime = await startRuntime();
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    if (runtime === undefined) return; // it did not start: beforeAll has failed the file already
    const exit = await runtime.process.stop();
    expect(exit, runtime.process.describe()).toEqual({ code: 0, signal: null, forced: false });
  });

  it('prints the two start lines: a working API key and the URL it listens on', () => {
    // Assess
    expect(runtime.apiKey).toMatch(/^wfk_[0-9A-Z]{26}_[A-Za-z0-9_-]{54}$/);
    expect(runtime.baseUrl).toBe(`http://127.0.0.1:${runtime.process.port}`);
    expect(runtime.process.stdout.match(/^API key: /gm)).toHaveLength(1);
    expect(runtime.process.stdout.match(/^Listening on /gm)).toHaveLength(1);
  });

  it('answers GET /health with 200 and no key, and keeps the connection open for a minute (not Node\'s 5 s, which races a reusing client)', async () => {
    // Act
    const response = await api('GET', '/health', { key: null });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('keep-alive')).toBe('timeout=65');
  });

  it('accepts the printed key and refuses a missing, mistyped or unknown key with 401', async () => {
    // Prepare
    const lastChar = runtime.apiKey.at(-1);
    const mistyped = `${runtime.apiKey.slice(0, -1)}${lastChar === 'x' ? 'y' : 'x'}`;
    const unknown = generateApiKey().key; // well-formed, checksum and all, but never stored

    // Act
    const withKey = await api('GET', '/v1/subscriptions');
    const withoutKey = await api('GET', '/v1/subscriptions', { key: null });
    const withMistypedKey = await api('GET', '/v1/subscriptions', { key: mistyped });
    const withUnknownKey = await api('GET', '/v1/subscriptions', { key: unknown });

    // Assess
    expect(withKey.status, withKey.text).toBe(200);
    expect(withKey.body).toMatchObject({ items: expect.any(Array) });
    for (const refused of [withoutKey, withMistypedKey, withUnknownKey]) {
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    }
  });

  it('delivers a published event, signed, exactly once to each of the three matching subscriptions and to no other', async () => {
    // Prepare
    const [exact, prefix, everything, otherType, otherPrefix] = await Promise.all([
      receiver(),
      receiver(),
      receiver(),
      receiver(),
      receiver(),
    ]);
    const matching = [
      { target: exact, subscription: await subscribe(exact.url, ['order.created']) },
      { target: prefix, subscription: await subscribe(prefix.url, ['order.*']) },
      { target: everything, subscription: await subscribe(everything.url, ['*']) },
    ];
    await subscribe(otherType.url, ['order.cancelled']);
    await subscribe(otherPrefix.url, ['invoice.*']);
    const data = { orderId: 42, total: '9.99', lines: [{ sku: 'A-1', quantity: 2 }] };

    // Act
    const published = await api('POST', '/v1/events', { body: { type: 'order.created', data } });
    expect(published.status, published.text).toBe(202);
    const eventId = published.body.id as string;
    await waitFor(() => matching.every(({ target }) => target.requests.length >= 1), {
      description: 'one request at each matching receiver',
    });
    const deliveries = await waitForResponse(
      () => api('GET', `/v1/events/${eventId}/deliveries`),
      (response) =>
        response.status === 200 &&
        response.body.items.length === 3 &&
        response.body.items.every((item: { status: string }) => item.status === 'delivered'),
      { description: 'three delivered records' },
    );

    // Assess
    expect(published.body).toEqual({
      id: expect.stringMatching(/^evt_[0-9A-Z]{26}$/),
      type: 'order.created',
      createdAt: expect.any(String),
      // Fanned out by ingest itself (a few subscriptions): the 202 says which matched.
      matched: { count: 3, subscriptionIds: expect.arrayContaining(matching.map(({ subscription }) => subscription.id)) },
    });
    for (const { target, subscription } of matching) {
      expect(target.requests).toHaveLength(1);
      const request = target.requests[0]!;
      expect(request.method).toBe('POST');
      expect(request.headers['webhook-id']).toBe(eventId);
      expect(request.headers['content-type']).toBe('application/json');
      expect(Receiver.verify(request, subscription.secret)).toEqual({
        type: 'order.created',
        timestamp: published.body.createdAt,
        data,
      });
      expect(Object.keys(JSON.parse(request.body) as object).sort()).toEqual(['data', 'timestamp', 'type']);
    }
    expect(otherType.requests).toHaveLength(0);
    expect(otherPrefix.requests).toHaveLength(0);
    expect(deliveries.body.items.map((item: { subscriptionId: string }) => item.subscriptionId).sort()).toEqual(
      matching.map(({ subscription }) => subscription.id).sort(),
    );
    expect(deliveries.body.items.map((item: { attempts: number }) => item.attempts)).toEqual([1, 1, 1]);
  });

  it('delivers the data of an event as the bytes it was published with, and refuses bytes that are not UTF-8', async () => {
    // Prepare
    const target = await receiver();
    const subscription = await subscribe(target.url, ['exact.*']);
    const data = '{ "id": 12345678901234567890, "huge": 1e400, "price": 1.10, "name": "caf\\u00e9 \u00e9" }';
    const invalid = Buffer.concat([Buffer.from('{"type":"exact.bytes","data":"caf'), Buffer.from([0xc3]), Buffer.from('"}')]);

    // Act
    const published = await api('POST', '/v1/events', { rawBody: `{"type":"exact.sent","data":${data}}` });
    const refused = await api('POST', '/v1/events', { rawBody: invalid });
    expect(published.status, published.text).toBe(202);
    await waitFor(() => target.requests.length >= 1, { description: 'the event at its receiver' });

    // Assess
    const request = target.requests[0]!;
    expect(Buffer.from(request.body)).toEqual(
      Buffer.from(`{"type":"exact.sent","timestamp":${JSON.stringify(published.body.createdAt)},"data":${data}}`),
    );
    expect(() => Receiver.verify(request, subscription.secret)).not.toThrow();
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('invalid_encoding');
    expect(target.requests).toHaveLength(1);
  });

  it('prints a readable line on stdout for each delivery attempt, naming the event and the subscription', async () => {
    // Prepare
    const target = await receiver();
    const subscription = await subscribe(target.url, ['shipment.sent']);

    // Act
    const published = await api('POST', '/v1/events', { body: { type: 'shipment.sent', data: { parcel: 'P-7' } } });
    expect(published.status, published.text).toBe(202);
    const eventId = published.body.id as string;
    const line = await waitFor(
      () => runtime.process.stdout.split('\n').find((candidate) => candidate.includes(eventId) && candidate.includes(subscription.id)),
      { description: () => `a delivery line for ${eventId}\n${runtime.process.stdout}` },
    );

    // Assess
    expect(line).toMatch(/^\d\d:\d\d:\d\d delivered\s/);
    expect(line).toContain(`${eventId} -> ${subscription.id}`);
    expect(line).toContain('HTTP 200');
    expect(line).toContain('(attempt 1)');
    expect(line).not.toMatch(/^\s*\{/); // readable, not the functions' JSON log
    expect(target.requests).toHaveLength(1);
  });

  it('answers a body over API Gateway\'s 10 MB limit with its 413, not a reset connection', async () => {
    // Prepare: 11 MB of JSON, sent by a real HTTP client that writes all of it
    const body = JSON.stringify({ type: 'order.created', data: { blob: 'x'.repeat(11 * 1024 * 1024) } });

    // Act
    const response = await fetch(new URL('/v1/events', runtime.baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.apiKey}`, 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(30_000),
    });

    // Assess
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
  });

  it('logs each refused request on one line: method, path, status and error, never the key or the body', async () => {
    // Prepare
    const wrongKey = generateApiKey().key;
    const secretData = 'body-text-that-must-not-be-logged';
    const expectedLines = [
      /^\d\d:\d\d:\d\d rejected {2}GET \/v1\/subscriptions\/sub_refused 401 unauthorized: \S.*$/,
      /^\d\d:\d\d:\d\d rejected {2}POST \/v1\/events 415 unsupported_media_type: \S.*$/,
      /^\d\d:\d\d:\d\d rejected {2}POST \/v1\/subscriptions 422 validation_failed: .*eventTypes.*$/,
    ];

    // Act
    const unauthorized = await api('GET', '/v1/subscriptions/sub_refused?limit=5', { key: wrongKey });
    const unsupported = await fetch(new URL('/v1/events', runtime.baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.apiKey}`, 'content-type': 'text/plain' },
      body: secretData,
    });
    const invalid = await api('POST', '/v1/subscriptions', { body: { url: 'http://127.0.0.1:1/hook', eventTypes: [], description: secretData } });
    const logged = await waitFor(
      () => {
        const lines = runtime.process.stdout.split('\n');
        const found = expectedLines.map((expected) => lines.filter((line) => expected.test(line)));
        return found.every((matching) => matching.length > 0) ? found : undefined;
      },
      { description: () => `a rejected line for each request\n${runtime.process.stdout}` },
    );

    // Assess
    expect([unauthorized.status, unsupported.status, invalid.status]).toEqual([401, 415, 422]);
    expect(logged.map((matching) => matching.length)).toEqual([1, 1, 1]);
    const printed = runtime.process.stdout.split('\n').filter((line) => !line.startsWith('API key: ')).join('\n');
    for (const secret of [wrongKey, runtime.apiKey, secretData, 'limit=5']) expect(printed).not.toContain(secret);
  });

  it('warns when an https URL on this machine is subscribed, and prints the TLS error of each failed attempt', async () => {
    // Prepare: a plain HTTP receiver, subscribed with https:// as a first-time user might
    const plain = await receiver();
    const httpsUrl = plain.url.replace(/^http:/, 'https:');

    // Act
    const subscription = await subscribe(httpsUrl, ['parcel.lost']);
    const published = await api('POST', '/v1/events', { body: { type: 'parcel.lost', data: {} } });
    expect(published.status, published.text).toBe(202);
    const failed = await waitFor(
      () => runtime.process.stdout.split('\n').find((line) => line.includes(`${published.body.id} -> ${subscription.id}`)),
      { description: () => `the failed attempt's line\n${runtime.process.stdout}` },
    );

    // Assess
    const warning = runtime.process.stdout.split('\n').find((line) => line.includes(`warning   ${subscription.id}: `));
    expect(warning).toMatch(/^\d\d:\d\d:\d\d warning {3}sub_\S+: https:\/\/127\.0\.0\.1:\d+ is on this machine and https: .*http:\/\/127\.0\.0\.1:\d+\/hook$/);
    expect(failed).toMatch(/^\d\d:\d\d:\d\d failed {4}\S+ -> \S+ tls: wrong version number in \d+ ms \(attempt 1\), retry in \d+ s$/);
    expect(plain.requests).toHaveLength(0);
  });

  it("serves API callers in turn: a second caller's request is answered behind a few of a first caller's burst, not all of it", async () => {
    // Prepare
    const BURST = 80;
    const answeredOrder: string[] = [];
    const publish = (key: string, name: string) =>
      call(runtime.baseUrl, 'POST', '/v1/events', { key, body: { type: 'turns.burst', data: {} } }).then((response) => {
        answeredOrder.push(name);
        return response;
      });

    // Act: one caller's burst, and once it is being served, one request of another caller
    const burst = Array.from({ length: BURST }, () => publish(runtime.apiKey, 'burst'));
    await waitFor(() => answeredOrder.length > 0, { description: 'the first answer to the burst' });
    const other = await publish('wk_another_caller', 'other');
    const answers = await Promise.all(burst);

    // Assess: served in the order they came, the other caller would wait for the whole burst
    expect(other.status).toBe(401);
    expect(answers.map((answer) => answer.status)).toEqual(Array(BURST).fill(202));
    expect(answeredOrder.indexOf('other')).toBeLessThan(BURST / 2);
  });
});
