import { describe, expect, it } from 'vitest';
import { readableMessage } from '../../lambdas/aws/http-sender';
import { formatLogLine, refusedRequestLine } from '../../local/log-lines';
import { localHttpsWarning } from '../../local/subscription-warnings';

const AT = new Date('2026-03-01T17:36:44.000Z');

const created = (url: string, overrides: { method?: string; statusCode?: number; path?: string } = {}) => ({
  method: 'POST',
  path: '/v1/subscriptions',
  statusCode: 201,
  body: JSON.stringify({ id: 'sub_1', url, secret: 'whsec_x' }),
  ...overrides,
});

describe('npm start: the lines for refused requests, local https URLs and transport errors', () => {
  it('prints a refused request as method, path, status and the error, or API Gateway\'s own message', () => {
    // Act
    const unauthorized = refusedRequestLine(
      { method: 'POST', path: '/v1/events', statusCode: 401, body: '{"error":{"code":"unauthorized","message":"the API key is not valid"}}' },
      AT,
    );
    const tooLarge = refusedRequestLine({ method: 'POST', path: '/v1/events', statusCode: 413, body: '{"message":"Request Entity Too Large"}' }, AT);
    const failed = refusedRequestLine({ method: 'GET', path: '/v1/events/evt_1', statusCode: 500, body: 'not json' }, AT);

    // Assess
    expect(unauthorized).toBe('17:36:44 rejected  POST /v1/events 401 unauthorized: the API key is not valid');
    expect(tooLarge).toBe('17:36:44 rejected  POST /v1/events 413 Request Entity Too Large');
    expect(failed).toBe('17:36:44 failed    GET /v1/events/evt_1 500');
  });

  it.each(['https://localhost:4000/hook', 'https://127.0.0.1:4000/hook', 'https://127.1.2.3/hook', 'https://[::1]:4000/hook', 'https://app.localhost/hook'])(
    'warns about %s, an https URL on this machine',
    (url) => {
      // Act
      const warning = localHttpsWarning(created(url));

      // Assess
      expect(warning?.subscriptionId).toBe('sub_1');
      expect(warning?.warning).toContain('is on this machine and https');
    },
  );

  it('says nothing of an http URL, a URL elsewhere, a refused request or another route', () => {
    // Act
    const warnings = [
      localHttpsWarning(created('http://127.0.0.1:4000/hook')),
      localHttpsWarning(created('https://example.com/hook')),
      localHttpsWarning(created('https://10.0.0.5/hook')),
      localHttpsWarning(created('https://127.0.0.1/hook', { statusCode: 422 })),
      localHttpsWarning(created('https://127.0.0.1/hook', { method: 'GET', statusCode: 200 })),
      localHttpsWarning(created('https://127.0.0.1/hook', { path: '/v1/events' })),
    ];

    // Assess
    expect(warnings).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('warns about a subscription changed to an https URL on this machine', () => {
    // Act
    const warning = localHttpsWarning(created('https://localhost:4000/hook', { method: 'PATCH', statusCode: 200, path: '/v1/subscriptions/sub_1' }));

    // Assess
    expect(warning?.warning).toMatch(/^https:\/\/localhost:4000 is on this machine and https: .* needs http:\/\/localhost:4000\/hook$/);
  });

  it("keeps OpenSSL's reason of a TLS failure and leaves readable messages as they are", () => {
    // Act
    const openSsl = readableMessage(
      'write EPROTO 80AC2C1F1B7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n',
    );
    const certificate = readableMessage('self-signed certificate');

    // Assess
    expect(openSsl).toBe('wrong version number');
    expect(certificate).toBe('self-signed certificate');
  });

  it('names the transport error in a failed attempt\'s line', () => {
    // Act
    const line = formatLogLine(
      JSON.stringify({
        message: 'delivery',
        timestamp: AT.toISOString(),
        eventId: 'evt_1',
        subscriptionId: 'sub_1',
        action: 'retry_later',
        retryInSeconds: 5,
        attempt: 1,
        reason: 'tls',
        error: 'self-signed certificate',
        durationMs: 3,
      }),
      'delivery',
    );

    // Assess
    expect(line).toBe('17:36:44 failed    evt_1 -> sub_1 tls: self-signed certificate in 3 ms (attempt 1), retry in 5 s');
  });

  it('prints a deferral with its reason, and a group that waits whole as one line naming its subscriptions', () => {
    // Prepare
    const deferral = (fields: Record<string, unknown>) =>
      formatLogLine(JSON.stringify({ message: 'delivery', timestamp: AT.toISOString(), eventId: 'evt_1', action: 'retry_later', ...fields }), 'delivery');

    // Act
    const single = deferral({ subscriptionId: 'sub_1', retryInSeconds: 3, deferred: 'endpoint_busy' });
    const group = deferral({ subscriptionIds: ['sub_1', 'sub_2', 'sub_3'], retryInSeconds: 6, deferred: 'circuit_open' });

    // Assess
    expect(single).toBe('17:36:44 deferred  evt_1 -> sub_1 (endpoint busy), due in 3 s');
    expect(group).toBe('17:36:44 deferred  evt_1 -> sub_1, sub_2, sub_3 (circuit open), due in 6 s');
  });
});
