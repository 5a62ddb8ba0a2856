/**
 * What one HTTP attempt produced, as the sender observed it. `not_sent` is not an attempt:
 * the request never left (no pooled connection came free in time, or the invocation was ending),
 * so the delivery is deferred without counting it. An `error` says whether the request was
 * written to an open connection, so the log can tell a request the receiver may have read from
 * one that never reached it.
 */
export type AttemptResult =
  | { kind: 'response'; statusCode: number; retryAfter?: string; durationMs: number; bodySnippet?: string }
  | { kind: 'error'; error: TransportErrorKind; message: string; durationMs: number; requestSent: boolean }
  | NotSent;

export interface NotSent {
  kind: 'not_sent';
  reason: 'pool_wait' | 'aborted';
  durationMs: number;
}

/** An attempt that happened: a response or a failure, the request sent or not. */
export type MadeAttempt = Exclude<AttemptResult, NotSent>;

export type TransportErrorKind = 'timeout' | 'connection' | 'dns' | 'tls' | 'blocked_target' | 'invalid_target';

export type FailureReason =
  | 'redirect'
  | 'client_error'
  | 'server_error'
  | 'throttled'
  | 'gone'
  | TransportErrorKind;

/**
 * The outcome rules: 2xx delivered; 410 disables the subscription; a refused target is permanent;
 * 429/502/503/504 are throttling (retry, honouring Retry-After); everything else is retried.
 */
export type Outcome =
  | { action: 'delivered' }
  | { action: 'retry'; reason: FailureReason; throttled: boolean }
  | { action: 'disable'; reason: 'gone' }
  | { action: 'fail_permanently'; reason: FailureReason };

const THROTTLING_STATUSES = new Set([429, 502, 503, 504]);

export const classifyAttempt = (result: MadeAttempt): Outcome => {
  if (result.kind === 'error') {
    if (result.error === 'blocked_target' || result.error === 'invalid_target') {
      return { action: 'fail_permanently', reason: result.error };
    }
    return { action: 'retry', reason: result.error, throttled: false };
  }
  const { statusCode } = result;
  if (statusCode >= 200 && statusCode < 300) return { action: 'delivered' };
  if (statusCode === 410) return { action: 'disable', reason: 'gone' };
  if (THROTTLING_STATUSES.has(statusCode)) return { action: 'retry', reason: 'throttled', throttled: true };
  if (statusCode >= 300 && statusCode < 400) return { action: 'retry', reason: 'redirect', throttled: false };
  if (statusCode >= 400 && statusCode < 500) return { action: 'retry', reason: 'client_error', throttled: false };
  return { action: 'retry', reason: 'server_error', throttled: false };
};
