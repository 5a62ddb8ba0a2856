import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { RESPONSE_SNIPPET_BYTES } from '../core/model';
import type { AttemptResult, TransportErrorKind } from '../core/outcome';
import type { WebhookRequest, WebhookSender } from '../core/ports';
import { isAddressAllowed, type TargetPolicy } from '../core/ssrf';
import { RequestTargets } from './request-targets';

/** Bodies beyond this are not read to the end: the connection is dropped instead of reused. */
const MAX_DRAIN_BYTES = 64 * 1024;
const MAX_CONNECT_MS = 5_000;
/** How long a request may wait for a free connection to its host before it is deferred unsent. */
const DEFAULT_MAX_POOL_WAIT_MS = 2_000;
/**
 * Idle pooled connections are closed after this long: below the 5 s keep-alive timeout of Node's
 * own server and above none of the usual ones (nginx 75 s, load balancers 60 s), so a receiver
 * rarely closes a connection just as the sender takes it from the pool.
 */
const IDLE_SOCKET_MS = 4_000;
const ABORTED_MESSAGE = 'the function is about to time out';

class BlockedTargetError extends Error {
  override name = 'BlockedTargetError';
  readonly code = 'EBLOCKED';
}

/**
 * The one form of `dns.lookup` the checking lookup calls (every address of a name). Narrower than
 * `typeof dns.lookup`, whose overloads a stand-in resolver could only satisfy through casts.
 */
export type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for the HTTP agent that resolves every address of the host, refuses the request if
 * any of them is not allowed, and hands the socket the address it checked: no second lookup can
 * rebind the name to an internal address.
 */
export const checkingLookup =
  (policy: TargetPolicy, resolve: Resolver = dnsLookup): LookupFunction =>
  (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, list) => {
      if (error) return callback(error, '', 0);
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
  // OpenSSL record-layer failures (such as a plain-http port answering the ClientHello) reach
  // Node as a bare EPROTO; nothing else on a TCP socket produces it.
  if (code === 'EPROTO') return 'tls';
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return 'tls';
  return 'connection';
};

/**
 * An error's message in the words a person needs: OpenSSL's reason alone (`wrong version number`)
 * rather than `write EPROTO 80AC...:error:0A00010B:SSL routines:ssl3_get_record:wrong version
 * number:../deps/openssl/...`. Other messages (certificate errors among them) are already readable.
 */
export const readableMessage = (message: string): string => {
  const openSsl = /:error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+):/.exec(message);
  return (openSsl === null ? message : openSsl[1]!).trim().slice(0, 300);
};

/**
 * At most `max` bytes of `bytes` as UTF-8 text, cut before a character rather than through it:
 * a cut character would decode to U+FFFD and push the snippet past its cap.
 */
const utf8Prefix = (bytes: Buffer, max: number): string => {
  // A StringDecoder that is never ended drops a trailing incomplete character instead of
  // replacing it; the second pass covers invalid bytes, each of which decodes to 3 bytes.
  const text = new StringDecoder('utf8').write(bytes);
  const encoded = Buffer.from(text, 'utf8');
  return encoded.length <= max ? text : new StringDecoder('utf8').write(encoded.subarray(0, max));
};

/**
 * The first value of a header Node keeps only once (Retry-After is one), read from the raw list:
 * `res.headers` builds an object of every header on first use, on every answer, for this one.
 */
const firstRawHeader = (rawHeaders: readonly string[], lowerCaseName: string): string | undefined => {
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!;
    if (name.length === lowerCaseName.length && name.toLowerCase() === lowerCaseName) return rawHeaders[index + 1];
  }
  return undefined;
};

class AttemptTimeoutError extends Error {
  override name = 'AttemptTimeoutError';
}

export interface NodeHttpSenderOptions {
  /** Connections at once per host (the agent's pool). @default 50 */
  maxSockets?: number;
  /** How long a request may wait for a pooled connection before it is deferred unsent. @default 2000 */
  maxPoolWaitMs?: number;
  lookup?: LookupFunction;
}

/**
 * The webhook HTTP client: `node:http(s)` with keep-alive agents that live as long as the
 * execution environment, no redirects, and a capped read of the response body.
 *
 * An attempt is exactly one request on the wire, or none:
 * - a request waits for a connection from its host's pool for at most `maxPoolWaitMs`, and one
 *   that gets none (or whose invocation is ending before it gets one) is returned `not_sent`:
 *   nothing reached the receiver, so it is not an attempt;
 * - the attempt's timers start when it has a socket: a connect timeout, and the total timeout,
 *   which also covers a receiver trickling its answer;
 * - a failure is never retried here, not even on a pooled connection the receiver closed: a
 *   receiver that read the request and then reset the connection would get it twice. Whether
 *   the request was written to an open connection is part of the result (`requestSent`).
 */
export class NodeHttpSender implements WebhookSender {
  private readonly targets: RequestTargets;
  private readonly maxPoolWaitMs: number;

  constructor(policy: TargetPolicy, options: NodeHttpSenderOptions = {}) {
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? 50,
      timeout: IDLE_SOCKET_MS,
      lookup: options.lookup ?? checkingLookup(policy),
    };
    this.maxPoolWaitMs = options.maxPoolWaitMs ?? DEFAULT_MAX_POOL_WAIT_MS;
    this.targets = new RequestTargets(policy, { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) });
  }

  send(request: WebhookRequest): Promise<AttemptResult> {
    const target = this.targets.get(request.url);
    if (!target.ok) return Promise.resolve({ ...target.refusal });
    if (request.signal?.aborted) {
      // An 'abort' listener never fires for a signal that has already fired: without this the
      // request would wait for a socket it can no longer use.
      return Promise.resolve({ kind: 'not_sent', reason: 'aborted', durationMs: 0 });
    }
    const { isHttps } = target;
    const body = Buffer.from(request.body);
    const options: http.RequestOptions = {
      ...target.options,
      // Not `{ ...headers, 'content-length': n }`: on Node 20 a property after a spread takes V8's
      // slow path, about 2 µs per attempt.
      headers: Object.assign({}, request.headers, { 'content-length': String(body.length) }),
    };

    return new Promise<AttemptResult>((resolve) => {
      const queuedAt = performance.now();
      /** When the request got its socket: the attempt, and its duration, start there. */
      let started: number | undefined;
      const elapsed = () => Math.round(performance.now() - (started ?? queuedAt));
      let settled = false;
      let timedOut = false;
      let requestSent = false;
      let totalTimer: NodeJS.Timeout | undefined;
      let connectTimer: NodeJS.Timeout | undefined;
      let slowTimer: NodeJS.Timeout | undefined;
      const finish = (result: AttemptResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(poolTimer);
        clearTimeout(totalTimer);
        clearTimeout(connectTimer);
        clearTimeout(slowTimer);
        request.signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const notSent = (reason: 'pool_wait' | 'aborted') => {
        finish({ kind: 'not_sent', reason, durationMs: Math.round(performance.now() - queuedAt) });
        req.destroy();
      };
      const fail = (error: NodeJS.ErrnoException) =>
        finish({
          kind: 'error',
          error: timedOut || error instanceof AttemptTimeoutError ? 'timeout' : errorKind(error),
          message: readableMessage(error.message),
          durationMs: elapsed(),
          requestSent,
        });
      const abortWith = (message: string) => {
        timedOut = true;
        req.destroy(new AttemptTimeoutError(message));
      };
      // An invocation that ends before the request reached the receiver defers it: nothing was sent.
      const onAbort = () => (requestSent ? abortWith(ABORTED_MESSAGE) : notSent('aborted'));
      const poolTimer = setTimeout(() => notSent('pool_wait'), Math.min(this.maxPoolWaitMs, request.timeoutMs));

      let req: http.ClientRequest;
      try {
        req = (isHttps ? https : http).request(options);
      } catch (error) {
        // Only a request Node refuses to build throws (a header it will not send): no retry can
        // fix that, so it is a target that cannot be called rather than an exception.
        const message = error instanceof Error ? error.message : String(error);
        return finish({ kind: 'error', error: 'invalid_target', message: message.slice(0, 300), durationMs: 0, requestSent: false });
      }
      request.signal?.addEventListener('abort', onAbort, { once: true });

      req.on('socket', (socket) => {
        if (settled) return;
        clearTimeout(poolTimer);
        started = performance.now();
        totalTimer = setTimeout(() => abortWith(`no complete answer within ${request.timeoutMs} ms`), request.timeoutMs);
        if (request.slow !== undefined && request.slow.afterMs < request.timeoutMs) {
          const { afterMs, check } = request.slow;
          slowTimer = setTimeout(() => void check().then((cut) => cut !== undefined && !settled && abortWith(cut), () => undefined), afterMs);
        }
        if (!socket.connecting) {
          requestSent = true;
          return;
        }
        connectTimer = setTimeout(() => abortWith('connection not established in time'), Math.min(MAX_CONNECT_MS, request.timeoutMs));
        socket.once('connect', () => clearTimeout(connectTimer));
        // Over TLS nothing of the request is written before the handshake completes.
        socket.once(isHttps ? 'secureConnect' : 'connect', () => {
          requestSent = true;
        });
      });
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let read = 0;
        const respond = () => {
          const result: AttemptResult & { kind: 'response' } = { kind: 'response', statusCode: res.statusCode ?? 0, durationMs: elapsed() };
          const retryAfter = firstRawHeader(res.rawHeaders, 'retry-after');
          if (retryAfter !== undefined) result.retryAfter = retryAfter;
          if (kept > 0) result.bodySnippet = utf8Prefix(Buffer.concat(chunks), RESPONSE_SNIPPET_BYTES);
          finish(result);
        };
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
          // A body the receiver broke off is not an answer: whether it processed the event is
          // unknown, and a retry is safe because receivers deduplicate on webhook-id.
          if (!res.complete) fail(Object.assign(new Error('response ended early'), { code: 'ECONNRESET' }));
        });
      });
      req.end(body);
    });
  }
}
