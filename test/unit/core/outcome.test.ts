import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyAttempt, type MadeAttempt as AttemptResult, type Outcome, type TransportErrorKind } from '../../../lambdas/core/outcome';

const status = (statusCode: number, retryAfter?: string): AttemptResult => ({
  kind: 'response',
  statusCode,
  durationMs: 10,
  ...(retryAfter === undefined ? {} : { retryAfter }),
});
const failure = (error: TransportErrorKind): AttemptResult => ({ kind: 'error', error, message: error, durationMs: 10, requestSent: error === 'timeout' });

describe('Function: classifyAttempt', () => {
  it.each<[string, AttemptResult, Outcome]>([
    ['200 as delivered', status(200), { action: 'delivered' }],
    ['201 as delivered', status(201), { action: 'delivered' }],
    ['204 as delivered', status(204), { action: 'delivered' }],
    ['299 as delivered', status(299), { action: 'delivered' }],
    ['301 as a redirect retry', status(301), { action: 'retry', reason: 'redirect', throttled: false }],
    ['302 as a redirect retry', status(302), { action: 'retry', reason: 'redirect', throttled: false }],
    ['304 as a redirect retry', status(304), { action: 'retry', reason: 'redirect', throttled: false }],
    ['307 as a redirect retry', status(307), { action: 'retry', reason: 'redirect', throttled: false }],
    ['308 as a redirect retry', status(308), { action: 'retry', reason: 'redirect', throttled: false }],
    ['410 as disable', status(410), { action: 'disable', reason: 'gone' }],
    ['429 as throttled', status(429, '60'), { action: 'retry', reason: 'throttled', throttled: true }],
    ['502 as throttled', status(502), { action: 'retry', reason: 'throttled', throttled: true }],
    ['503 as throttled', status(503), { action: 'retry', reason: 'throttled', throttled: true }],
    ['504 as throttled', status(504), { action: 'retry', reason: 'throttled', throttled: true }],
    ['400 as a client-error retry', status(400), { action: 'retry', reason: 'client_error', throttled: false }],
    ['401 as a client-error retry', status(401), { action: 'retry', reason: 'client_error', throttled: false }],
    ['404 as a client-error retry', status(404), { action: 'retry', reason: 'client_error', throttled: false }],
    ['409 as a client-error retry', status(409), { action: 'retry', reason: 'client_error', throttled: false }],
    ['413 as a client-error retry', status(413), { action: 'retry', reason: 'client_error', throttled: false }],
    ['500 as a server-error retry', status(500), { action: 'retry', reason: 'server_error', throttled: false }],
    ['501 as a server-error retry', status(501), { action: 'retry', reason: 'server_error', throttled: false }],
    ['505 as a server-error retry', status(505), { action: 'retry', reason: 'server_error', throttled: false }],
    ['599 as a server-error retry', status(599), { action: 'retry', reason: 'server_error', throttled: false }],
    ['a timeout as a retry', failure('timeout'), { action: 'retry', reason: 'timeout', throttled: false }],
    ['a connection error as a retry', failure('connection'), { action: 'retry', reason: 'connection', throttled: false }],
    ['a DNS failure as a retry', failure('dns'), { action: 'retry', reason: 'dns', throttled: false }],
    ['a TLS failure as a retry', failure('tls'), { action: 'retry', reason: 'tls', throttled: false }],
    ['a blocked target as permanent', failure('blocked_target'), { action: 'fail_permanently', reason: 'blocked_target' }],
    ['an invalid target as permanent', failure('invalid_target'), { action: 'fail_permanently', reason: 'invalid_target' }],
  ])('treats %s', (_label, result, expected) => {
    // Act
    const outcome = classifyAttempt(result);

    // Assess
    expect(outcome).toEqual(expected);
  });

  it('delivers exactly the 2xx statuses', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), (code) => {
        // Act
        const outcome = classifyAttempt(status(code));

        // Assess
        expect(outcome.action === 'delivered').toBe(code >= 200 && code <= 299);
      }),
    );
  });

  it('never gives up on a status other than 2xx or 410: every other one is retried', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 300, max: 599 }).filter((code) => code !== 410),
        (code) => {
          expect(classifyAttempt(status(code)).action).toBe('retry');
        },
      ),
    );
  });
});
