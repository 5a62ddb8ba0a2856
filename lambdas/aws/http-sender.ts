import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { RESPONSE_SNIPPET_BYTES } from '../core/model';
import type { AttemptResult, TransportErrorKind } from '../core/outcome';
import type { WebhookRequest, WebhookSender } from '../core/ports';
import { checkTargetUrl, isAddressAllowed, type TargetPolicy } from '../core/ssrf';

/** Bodies beyond this are not read to the end: the connection is dropped instead of reused. */
const MAX_DRAIN_BYTES = 64 * 1024;
const MAX_CONNECT_MS = 5_000;

class BlockedTargetError extends Error {
  override name = 'BlockedTargetError';
  readonly code = 'EBLOCKED';
}

/**
 * A `lookup` for the HTTP agent that resolves every address of the host, refuses the request if
 * any of them is not allowed, and hands the socket the address it checked: no second lookup can
 * rebind the name to an internal address.
 */
export const checkingLookup =
  (policy: TargetPolicy, resolve: typeof dnsLookup = dnsLookup): LookupFunction =>
  (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as LookupAddress[];
      const refused = list.find((entry) => !isAddressAllowed(entry.address, policy));
      if (list.length === 0 || refused !== undefined) {
        const blocked = new BlockedTargetError(`${hostname} resolves to ${refused?.address ?? 'nothing'}, which is not allowed`);
        return callback(blocked, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };

const errorKind = (error: NodeJS.ErrnoException): TransportErrorKind => {
  if (error instanceof BlockedTargetError) return 'blocked_target';
  const code = error.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA') return 'dns';
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return 'tls';
  return 'connection';
};

class AttemptTimeoutError extends Error {
  override name = 'AttemptTimeoutError';
}

/**
 * The webhook HTTP client: `node:http(s)` with keep-alive agents that live as long as the
 * execution environment, a connect timeout and a total timeout that also covers a receiver
 * trickling its answer, no redirects, and a capped read of the response body.
 */
export class NodeHttpSender implements WebhookSender {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(
    private readonly policy: TargetPolicy,
    options: { maxSockets?: number; lookup?: LookupFunction } = {},
  ) {
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 50, lookup: options.lookup ?? checkingLookup(policy) };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }

  send(request: WebhookRequest): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const check = checkTargetUrl(request.url, this.policy);
    if (!check.ok) {
      const error = check.reason === 'address_not_allowed' ? 'blocked_target' : 'invalid_target';
      return Promise.resolve({ kind: 'error', error, message: check.message, durationMs: 0 });
    }
    const url = check.url;
    const isHttps = url.protocol === 'https:';
    const body = Buffer.from(request.body);

    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      let timedOut = false;
      const finish = (result: AttemptResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(totalTimer);
        clearTimeout(connectTimer);
        request.signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const fail = (error: NodeJS.ErrnoException) =>
        finish({
          kind: 'error',
          error: timedOut || error instanceof AttemptTimeoutError ? 'timeout' : errorKind(error),
          message: error.message.slice(0, 300),
          durationMs: elapsed(),
        });

      const req = (isHttps ? https : http).request(url, {
        method: 'POST',
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        headers: { ...request.headers, 'content-length': String(body.length) },
      });
      const abortWith = (message: string) => {
        timedOut = true;
        req.destroy(new AttemptTimeoutError(message));
      };
      const totalTimer = setTimeout(() => abortWith(`no complete answer within ${request.timeoutMs} ms`), request.timeoutMs);
      const connectTimer = setTimeout(
        () => abortWith('connection not established in time'),
        Math.min(MAX_CONNECT_MS, request.timeoutMs),
      );
      const onAbort = () => abortWith('the function is about to time out');
      request.signal?.addEventListener('abort', onAbort, { once: true });

      req.on('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once('connect', () => clearTimeout(connectTimer));
      });
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let read = 0;
        const respond = () =>
          finish({
            kind: 'response',
            statusCode: res.statusCode ?? 0,
            durationMs: elapsed(),
            ...(typeof res.headers['retry-after'] === 'string' ? { retryAfter: res.headers['retry-after'] } : {}),
            ...(kept > 0 ? { bodySnippet: Buffer.concat(chunks).toString('utf8') } : {}),
          });
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (kept < RESPONSE_SNIPPET_BYTES) {
            const part = chunk.subarray(0, RESPONSE_SNIPPET_BYTES - kept);
            chunks.push(part);
            kept += part.length;
          }
          if (read > MAX_DRAIN_BYTES) {
            // The status is known; the rest of a huge body is not worth the wait or the memory.
            respond();
            res.destroy();
          }
        });
        res.on('end', respond);
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(Object.assign(new Error('response ended early'), { code: 'ECONNRESET' }));
        });
      });
      req.end(body);
    });
  }
}
