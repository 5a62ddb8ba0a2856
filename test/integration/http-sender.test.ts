import type { LookupAddress } from 'node:dns';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkingLookup, NodeHttpSender, type Resolver } from '../../lambdas/aws/http-sender';
import type { AttemptResult } from '../../lambdas/core/outcome';
import type { WebhookRequest } from '../../lambdas/core/ports';
import { parseCidrList, type TargetPolicy } from '../../lambdas/core/ssrf';
import {
  closedPort,
  startHttpServer,
  startSelfSignedHttpsServer,
  startTcpServer,
  waitFor,
  type FaultServer,
} from '../support/fault-receivers';

/**
 * The sender against real misbehaving receivers on loopback (the fault list in REFERENCE.md).
 * Nothing here leaves 127.0.0.1 / ::1: names are resolved by stand-in resolvers handed to
 * `checkingLookup`, except `localhost`, which the system answers from /etc/hosts.
 */

const LOOPBACK_ALLOWED: TargetPolicy = { allowHttp: true, allowedNetworks: parseCidrList('127.0.0.0/8') };
const NOTHING_PRIVATE_ALLOWED: TargetPolicy = { allowHttp: true, allowedNetworks: [] };
const HANG_TIMEOUT_MS = 800;

/** A resolver that answers from a table, counting its calls; unknown names fail like getaddrinfo. */
const fakeResolver = (answers: (hostname: string, call: number) => string[] | NodeJS.ErrnoException) => {
  const calls: string[] = [];
  const resolve: Resolver = (hostname, _options, callback) => {
    calls.push(hostname);
    const answer = answers(hostname, calls.length);
    // Real lookups answer asynchronously; so does the stand-in.
    setImmediate(() => {
      if (answer instanceof Error) return callback(answer, []);
      const addresses: LookupAddress[] = answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      callback(null, addresses);
    });
  };
  return { resolve, calls };
};

const getaddrinfoError = (code: string, hostname: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), { code, syscall: 'getaddrinfo', hostname });

describe('Class: NodeHttpSender', () => {
  const servers: FaultServer[] = [];
  const serve = async (starting: Promise<FaultServer>): Promise<FaultServer> => {
    const server = await starting;
    servers.push(server);
    return server;
  };

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  const post = (sender: NodeHttpSender, url: string, overrides: Partial<WebhookRequest> = {}): Promise<AttemptResult> =>
    sender.send({
      url,
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_test' },
      body: '{"type":"test.event","data":{}}',
      timeoutMs: 2_000,
      ...overrides,
    });

  describe('Method: send', () => {
    describe('answers from the receiver', () => {
      it.each([200, 201, 204])('returns status %i with the attempt duration', async (status) => {
        // Prepare
        const server = await serve(startHttpServer((_req, res) => res.writeHead(status).end()));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, server.url());

        // Assess
        expect(result).toEqual({ kind: 'response', statusCode: status, durationMs: expect.any(Number) });
        expect(result.durationMs).toBeGreaterThanOrEqual(0);
        expect(result.durationMs).toBeLessThan(2_000);
      });

      it('keeps only the first 1024 bytes of a 5xx body as the snippet', async () => {
        // Prepare
        const body = 'A'.repeat(1_000) + 'B'.repeat(4_000);
        const server = await serve(startHttpServer((_req, res) => res.writeHead(500).end(body)));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, server.url());

        // Assess
        expect(result).toMatchObject({ kind: 'response', statusCode: 500 });
        const snippet = result.kind === 'response' ? result.bodySnippet : undefined;
        expect(snippet).toBe(body.slice(0, 1024));
      });

      it('cuts a multibyte snippet on a character boundary, never past 1024 bytes', async () => {
        // Prepare: 1023 ASCII bytes, then two-byte characters: byte 1024 is half of an "é".
        const body = 'a'.repeat(1_023) + 'é'.repeat(100);
        const server = await serve(startHttpServer((_req, res) => res.writeHead(502).end(body)));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, server.url());

        // Assess
        const snippet = result.kind === 'response' ? (result.bodySnippet ?? '') : '';
        expect(Buffer.byteLength(snippet)).toBeLessThanOrEqual(1_024);
        expect(snippet).not.toContain('\uFFFD');
        expect(snippet).toBe('a'.repeat(1_023));
      });

      it('keeps the snippet of a body that is not UTF-8 within 1024 bytes', async () => {
        // Prepare: each invalid byte decodes to U+FFFD, three bytes of UTF-8.
        const server = await serve(startHttpServer((_req, res) => res.writeHead(500).end(Buffer.alloc(2_000, 0xff))));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, server.url());

        // Assess
        const snippet = result.kind === 'response' ? (result.bodySnippet ?? '') : '';
        expect(snippet.length).toBeGreaterThan(0);
        expect(Buffer.byteLength(snippet)).toBeLessThanOrEqual(1_024);
      });

      it.each([
        [503, '120'],
        [429, '7'],
        [503, 'Wed, 21 Oct 2015 07:28:00 GMT'],
        [429, 'Fri, 01 Jan 2100 00:00:00 GMT'],
      ])('passes status %i with Retry-After "%s" through as retryAfter', async (status, retryAfter) => {
        // Prepare
        const server = await serve(startHttpServer((_req, res) => res.writeHead(status, { 'retry-after': retryAfter }).end('slow down')));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, server.url());

        // Assess
        expect(result).toMatchObject({ kind: 'response', statusCode: status, retryAfter, bodySnippet: 'slow down' });
      });

      it('reads Retry-After in any letter case and keeps the first of repeated ones, as Node does', async () => {
        // Prepare
        const server = await serve(
          startHttpServer((_req, res) => {
            res.setHeader('RETRY-AFTER', ['30', '60']);
            res.writeHead(429).end();
          }),
        );
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, server.url());

        // Assess
        expect(result).toMatchObject({ kind: 'response', statusCode: 429, retryAfter: '30' });
      });

      it('returns 410 Gone as a response for the caller to disable the subscription', async () => {
        // Prepare
        const server = await serve(startHttpServer((_req, res) => res.writeHead(410).end()));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, server.url());

        // Assess
        expect(result).toMatchObject({ kind: 'response', statusCode: 410 });
        expect(result).not.toHaveProperty('retryAfter');
      });

      it.each([301, 302, 307, 308])('does not follow a %i redirect: the Location server receives nothing', async (status) => {
        // Prepare
        const elsewhere = await serve(startHttpServer((_req, res) => res.writeHead(200).end()));
        const redirecting = await serve(startHttpServer((_req, res) => res.writeHead(status, { location: elsewhere.url('/internal') }).end()));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, redirecting.url());

        // Assess
        expect(result).toMatchObject({ kind: 'response', statusCode: status });
        expect(redirecting.connections).toBe(1);
        expect(elsewhere.connections).toBe(0);
      });
    });

    describe('slow and endless receivers', () => {
      it('times out a receiver that accepts the connection and never answers', async () => {
        // Prepare
        const silent = await serve(startTcpServer((socket) => socket.resume()));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, silent.url(), { timeoutMs: HANG_TIMEOUT_MS });

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'timeout' });
        expect(silent.connections).toBe(1);
        expect(result.durationMs).toBeGreaterThanOrEqual(HANG_TIMEOUT_MS * 0.9);
        expect(result.durationMs).toBeLessThan(HANG_TIMEOUT_MS * 3);
      });

      it('times out a receiver that sends headers then trickles the body a byte every 200 ms', async () => {
        // Prepare
        const timers: NodeJS.Timeout[] = [];
        let bytesTrickled = 0;
        const trickling = await serve(
          startHttpServer((_req, res) => {
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.flushHeaders();
            const timer = setInterval(() => {
              if (res.destroyed) return clearInterval(timer);
              bytesTrickled += 1;
              res.write('.');
            }, 200);
            timers.push(timer);
          }),
        );
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, trickling.url(), { timeoutMs: HANG_TIMEOUT_MS });
        for (const timer of timers) clearInterval(timer);

        // Assess: the headers and some of the body arrived, and still the attempt timed out.
        expect(result).toMatchObject({ kind: 'error', error: 'timeout' });
        expect(bytesTrickled).toBeGreaterThan(0);
        expect(result.durationMs).toBeLessThan(HANG_TIMEOUT_MS * 3);
      });

      it('returns the status of a 50 MB body quickly, drops that connection and never reuses it', async () => {
        // Prepare
        const total = 50 * 1024 * 1024;
        const chunk = Buffer.alloc(64 * 1024, 'z');
        const huge = await serve(
          startHttpServer((req, res) => {
            if (req.url === '/small') return res.writeHead(200).end('ok');
            res.writeHead(200, { 'content-length': String(total) });
            let offered = 0;
            const pump = () => {
              while (offered < total && !res.destroyed) {
                offered += chunk.length;
                if (!res.write(chunk)) return void res.once('drain', pump);
              }
              if (offered >= total) res.end();
            };
            pump();
          }),
        );
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, huge.url('/huge'));

        // Assess
        expect(result).toMatchObject({ kind: 'response', statusCode: 200 });
        expect(result.kind === 'response' ? result.bodySnippet : undefined).toBe('z'.repeat(1_024));
        expect(result.durationMs).toBeLessThan(3_000);
        const socket = huge.sockets[0]!;
        await waitFor(() => socket.destroyed, 5_000, 'the receiver to see the connection dropped');
        expect(socket.bytesWritten).toBeLessThan(total / 2);

        // Act: the next attempt to the same receiver needs a connection of its own.
        const next = await post(sender, huge.url('/small'));

        // Assess
        expect(next).toMatchObject({ kind: 'response', statusCode: 200, bodySnippet: 'ok' });
        expect(huge.connections).toBe(2);
      });
    });

    describe('broken connections', () => {
      it('reports connection when the port refuses the connection', async () => {
        // Prepare
        const port = await closedPort();
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, `http://127.0.0.1:${port}/hook`);

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'connection' });
        expect(result.kind === 'error' ? result.message : '').toMatch(/ECONNREFUSED/);
      });

      it.each([
        ['closes (destroy)', (socket: Socket) => socket.destroy()],
        ['resets (resetAndDestroy)', (socket: Socket) => socket.resetAndDestroy()],
      ])('reports connection when the receiver %s the socket on the request', async (_how, end) => {
        // Prepare
        const resetting = await serve(startHttpServer((req) => end(req.socket)));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, resetting.url());

        // Assess: a fresh connection that fails is not retried.
        expect(result).toMatchObject({ kind: 'error', error: 'connection' });
        expect(resetting.connections).toBe(1);
      });

      // Chosen behaviour: a 2xx whose body the receiver breaks off is not a delivery. The receiver
      // crashed while answering, so whether it processed the event is unknown; a retry is safe
      // because receivers deduplicate on webhook-id (at-least-once). Contrast with a huge body,
      // where the sender itself stops reading and the status stands.
      it.each([
        ['a declared content-length', { 'content-length': '1000' }],
        ['a chunked body', {}],
      ])('reports connection, not delivered, when a 200 with %s is cut off mid-body', async (_framing, headers) => {
        // Prepare
        const cutting = await serve(
          startHttpServer((req, res) => {
            res.writeHead(200, headers);
            res.write('x'.repeat(100), () => setTimeout(() => req.socket.destroy(), 50));
          }),
        );
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, cutting.url());

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'connection' });
      });

      it('reports tls for https to a port that speaks plain http', async () => {
        // Prepare
        const plain = await serve(startHttpServer((_req, res) => res.writeHead(200).end()));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, `https://127.0.0.1:${plain.port}/hook`);

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'tls' });
      });

      it('reports tls for a receiver whose certificate is self-signed', async () => {
        // Prepare
        const selfSigned = await serve(startSelfSignedHttpsServer((_req, res) => res.writeHead(200).end()));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, selfSigned.url());

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'tls' });
      });

      it('times out https to a receiver that accepts and never completes the handshake', async () => {
        // Prepare
        const silent = await serve(startTcpServer((socket) => socket.resume()));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, `https://127.0.0.1:${silent.port}/hook`, { timeoutMs: HANG_TIMEOUT_MS });

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'timeout' });
        expect(result.durationMs).toBeLessThan(HANG_TIMEOUT_MS * 3);
      });
    });

    describe('names and addresses', () => {
      it.each(['ENOTFOUND', 'EAI_AGAIN'])('reports dns when resolving the name fails with %s', async (code) => {
        // Prepare
        const { resolve } = fakeResolver((hostname) => getaddrinfoError(code, hostname));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED, { lookup: checkingLookup(LOOPBACK_ALLOWED, resolve) });

        // Act
        const result = await post(sender, 'http://does-not-exist.invalid/hook');

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'dns' });
        expect(result.kind === 'error' ? result.message : '').toContain('does-not-exist.invalid');
      });

      it('refuses a name that resolves to a disallowed address and never connects', async () => {
        // Prepare
        const server = await serve(startHttpServer((_req, res) => res.writeHead(200).end()));
        const { resolve, calls } = fakeResolver(() => ['127.0.0.1']);
        const sender = new NodeHttpSender(NOTHING_PRIVATE_ALLOWED, { lookup: checkingLookup(NOTHING_PRIVATE_ALLOWED, resolve) });

        // Act
        const result = await post(sender, `http://rebind.test:${server.port}/hook`);

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'blocked_target' });
        expect(calls).toEqual(['rebind.test']);
        expect(server.connections).toBe(0);
      });

      it('refuses a name when any one of its several addresses is disallowed', async () => {
        // Prepare: 127.0.0.1 is allowed, ::1 is not.
        const server = await serve(startHttpServer((_req, res) => res.writeHead(200).end()));
        const { resolve } = fakeResolver(() => ['127.0.0.1', '::1']);
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED, { lookup: checkingLookup(LOOPBACK_ALLOWED, resolve) });

        // Act
        const result = await post(sender, `http://rebind.test:${server.port}/hook`);

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'blocked_target' });
        expect(result.kind === 'error' ? result.message : '').toContain('::1');
        expect(server.connections).toBe(0);
      });

      it('connects to exactly the address the checking lookup approved', async () => {
        // Prepare: only 127.0.0.2 listens, so a connection anywhere else would be refused.
        let seen: { host?: string; localAddress?: string } = {};
        const recording = await serve(
          startHttpServer((req, res) => {
            seen = { host: req.headers.host, localAddress: req.socket.localAddress };
            res.writeHead(204).end();
          }, '127.0.0.2'),
        );
        const { resolve } = fakeResolver(() => ['127.0.0.2']);
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED, { lookup: checkingLookup(LOOPBACK_ALLOWED, resolve) });

        // Act
        const result = await post(sender, `http://rebind.test:${recording.port}/hook`);

        // Assess
        expect(result).toMatchObject({ kind: 'response', statusCode: 204 });
        expect(seen).toEqual({ host: `rebind.test:${recording.port}`, localAddress: '127.0.0.2' });
      });

      it('resolves once per new connection and checks the name again for the next connection', async () => {
        // Prepare: the first answer is allowed (127.0.0.1/32); a rebound second answer is not.
        const policy: TargetPolicy = { allowHttp: true, allowedNetworks: parseCidrList('127.0.0.1/32') };
        let requests = 0;
        const server = await serve(
          startHttpServer((_req, res) => {
            requests += 1;
            // The third answer ends the connection, so the fourth attempt needs a new one.
            res.writeHead(200, requests === 3 ? { connection: 'close' } : {}).end();
          }),
        );
        const { resolve, calls } = fakeResolver((_hostname, call) => (call === 1 ? ['127.0.0.1'] : ['127.0.0.2']));
        const sender = new NodeHttpSender(policy, { lookup: checkingLookup(policy, resolve) });
        const url = `http://rebind.test:${server.port}/hook`;

        // Act
        const first = [await post(sender, url), await post(sender, url), await post(sender, url)];
        const rebound = await post(sender, url);

        // Assess
        expect(first.map((result) => (result.kind === 'response' ? result.statusCode : result.kind))).toEqual([200, 200, 200]);
        expect(rebound).toMatchObject({ kind: 'error', error: 'blocked_target' });
        expect(calls).toEqual(['rebind.test', 'rebind.test']);
        expect(server.connections).toBe(1);
      });

      it.each([
        'http://127.0.0.1:PORT4/hook',
        'http://[::1]:PORT6/hook',
        'http://0x7f.1:PORT4/hook',
        'http://2130706433:PORT4/hook',
        'http://0177.0.0.1:PORT4/hook',
        'http://[::ffff:127.0.0.1]:PORT4/hook',
      ])('refuses the literal address in %s without any connection attempt', async (pattern) => {
        // Prepare: listeners on both loopbacks, so a connection attempt would be seen.
        const v4 = await serve(startTcpServer((socket) => socket.destroy()));
        const v6 = await serve(startTcpServer((socket) => socket.destroy(), '::1'));
        const sender = new NodeHttpSender(NOTHING_PRIVATE_ALLOWED);
        const url = pattern.replace('PORT4', String(v4.port)).replace('PORT6', String(v6.port));

        // Act
        const result = await post(sender, url);

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'blocked_target', durationMs: 0 });
        expect(v4.connections).toBe(0);
        expect(v6.connections).toBe(0);
      });

      it('refuses localhost through the system resolver when loopback is not allowed', async () => {
        // Prepare: /etc/hosts answers localhost, so nothing leaves the machine.
        const server = await serve(startHttpServer((_req, res) => res.writeHead(200).end()));
        const sender = new NodeHttpSender(NOTHING_PRIVATE_ALLOWED);

        // Act
        const result = await post(sender, `http://localhost:${server.port}/hook`);

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'blocked_target' });
        expect(server.connections).toBe(0);
      });

      it('gives up on a resolver that never answers at the connect timeout, not the total one', async () => {
        // Prepare
        const hanging: Resolver = () => undefined;
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED, { lookup: checkingLookup(LOOPBACK_ALLOWED, hanging) });

        // Act
        const result = await post(sender, 'http://slow-dns.test/hook', { timeoutMs: 8_000 });

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'timeout' });
        expect(result.kind === 'error' ? result.message : '').toMatch(/connection not established/);
        expect(result.durationMs).toBeLessThan(8_000);
      });
    });

    describe('connections shared between attempts', () => {
      it('reuses a keep-alive connection for 20 sequential sends', async () => {
        // Prepare
        const server = await serve(startHttpServer((_req, res) => res.writeHead(200).end('ok')));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const results: AttemptResult[] = [];
        for (let i = 0; i < 20; i += 1) results.push(await post(sender, server.url()));

        // Assess
        expect(results.every((result) => result.kind === 'response' && result.statusCode === 200)).toBe(true);
        expect(server.connections).toBeGreaterThanOrEqual(1);
        expect(server.connections).toBeLessThanOrEqual(2);
      });

      it('keeps reusing the connection after reading small error bodies to the end', async () => {
        // Prepare
        const server = await serve(startHttpServer((_req, res) => res.writeHead(500).end('e'.repeat(8_000))));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        for (let i = 0; i < 5; i += 1) await post(sender, server.url());

        // Assess
        expect(server.connections).toBe(1);
      });

      it('never sends one attempt twice: a pooled connection reset after the receiver read the request is the answer', async () => {
        // Prepare: the receiver reads the second request on its connection, then resets it.
        let firstSocket: Socket | undefined;
        let requests = 0;
        const server = await serve(
          startHttpServer((req, res) => {
            requests += 1;
            firstSocket ??= req.socket;
            if (requests === 2) return void req.socket.destroy();
            res.writeHead(200).end();
          }),
        );
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);
        await post(sender, server.url());

        // Act
        const result = await post(sender, server.url());

        // Assess: one request on the wire, reported as sent; no second connection was opened for it.
        expect(result).toMatchObject({ kind: 'error', error: 'connection', requestSent: true });
        expect(requests).toBe(2);
        expect(server.connections).toBe(1);
      });

      it('reports a refused connection as an attempt whose request was never sent', async () => {
        // Prepare
        const port = await closedPort();
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, `http://127.0.0.1:${port}/hook`);

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'connection', requestSent: false });
      });

      it('reports a receiver that read the request and never answered as sent, and timed out', async () => {
        // Prepare
        const silent = await serve(startTcpServer((socket) => socket.resume()));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, silent.url(), { timeoutMs: HANG_TIMEOUT_MS });

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'timeout', requestSent: true });
      });
    });

    describe('waiting for a pooled connection', () => {
      it('starts the attempt when the request has a socket: a wait in the pool does not count against its timeout', async () => {
        // Prepare: one connection per host; each answer takes 1.5 s and the timeout is 2.5 s, so
        // the second request (3 s after it was queued, 1.5 s after it got the socket) is in time
        // only if its timer started at the socket.
        const server = await serve(startHttpServer((_req, res) => void setTimeout(() => res.writeHead(200).end(), 1_500)));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED, { maxSockets: 1, maxPoolWaitMs: 10_000 });

        // Act
        const results = await Promise.all([
          post(sender, server.url(), { timeoutMs: 2_500 }),
          post(sender, server.url(), { timeoutMs: 2_500 }),
        ]);

        // Assess
        expect(results).toEqual([
          expect.objectContaining({ kind: 'response', statusCode: 200 }),
          expect.objectContaining({ kind: 'response', statusCode: 200 }),
        ]);
      });

      it('returns not_sent when no connection comes free in time, and the receiver never gets that request', async () => {
        // Prepare: the only connection is held by a request the receiver answers late.
        let requests = 0;
        let release: () => void = () => undefined;
        const held = new Promise<void>((resolve) => (release = resolve));
        const server = await serve(
          startHttpServer((_req, res) => {
            requests += 1;
            void held.then(() => res.writeHead(200).end());
          }),
        );
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED, { maxSockets: 1, maxPoolWaitMs: 200 });
        const first = post(sender, server.url(), { timeoutMs: 20_000 });
        await waitFor(() => requests === 1, 5_000, 'the first request');

        // Act
        const second = await post(sender, server.url(), { timeoutMs: 20_000 });
        release();
        const firstResult = await first;
        const third = await post(sender, server.url());

        // Assess: the second request was dropped from the queue; the freed connection served the third.
        expect(second).toMatchObject({ kind: 'not_sent', reason: 'pool_wait' });
        expect(firstResult).toMatchObject({ kind: 'response', statusCode: 200 });
        expect(third).toMatchObject({ kind: 'response', statusCode: 200 });
        expect(requests).toBe(2);
      });

      it('returns not_sent when the invocation ends while the request waits for a connection', async () => {
        // Prepare
        let release: () => void = () => undefined;
        const held = new Promise<void>((resolve) => (release = resolve));
        let requests = 0;
        const server = await serve(
          startHttpServer((_req, res) => {
            requests += 1;
            void held.then(() => res.writeHead(200).end());
          }),
        );
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED, { maxSockets: 1, maxPoolWaitMs: 20_000 });
        const first = post(sender, server.url(), { timeoutMs: 20_000 });
        await waitFor(() => requests === 1, 5_000, 'the first request');
        const controller = new AbortController();

        // Act
        const waiting = post(sender, server.url(), { timeoutMs: 20_000, signal: controller.signal });
        controller.abort();
        const second = await waiting;
        release();
        await first;

        // Assess
        expect(second).toMatchObject({ kind: 'not_sent', reason: 'aborted' });
        expect(requests).toBe(1);
      });
    });

    describe('concurrent attempts and the invocation ending', () => {
      it('lets nine fast receivers finish while a slow one is still answering', async () => {
        // Prepare
        const fast = await serve(startHttpServer((_req, res) => res.writeHead(200).end()));
        const slow = await serve(startHttpServer((_req, res) => void setTimeout(() => res.writeHead(200).end(), 2_000)));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);
        let slowDone = false;

        // Act
        const slowAttempt = post(sender, slow.url(), { timeoutMs: 10_000 }).then((result) => {
          slowDone = true;
          return result;
        });
        const fastAttempts = await Promise.all(Array.from({ length: 9 }, () => post(sender, fast.url(), { timeoutMs: 10_000 })));
        const slowWhenFastDone = slowDone;
        const slowResult = await slowAttempt;

        // Assess
        expect(fastAttempts.map((result) => result.kind === 'response' && result.statusCode)).toEqual(Array(9).fill(200));
        expect(slowWhenFastDone).toBe(false);
        expect(slowResult).toMatchObject({ kind: 'response', statusCode: 200 });
        for (const result of fastAttempts) expect(result.durationMs).toBeLessThan(slowResult.durationMs);
      });

      it('returns timeout soon after the abort signal fires', async () => {
        // Prepare
        const silent = await serve(startTcpServer((socket) => socket.resume()));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);
        const controller = new AbortController();

        // Act
        const attempt = post(sender, silent.url(), { timeoutMs: 20_000, signal: controller.signal });
        await waitFor(() => silent.connections === 1, 5_000, 'the connection');
        controller.abort();
        const result = await attempt;

        // Assess
        expect(result).toMatchObject({ kind: 'error', error: 'timeout' });
        expect(result.durationMs).toBeLessThan(5_000);
      });

      it('returns not_sent at once, without connecting, when the signal has already fired', async () => {
        // Prepare
        const server = await serve(startHttpServer((_req, res) => res.writeHead(200).end()));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const result = await post(sender, server.url(), { timeoutMs: 20_000, signal: AbortSignal.abort() });

        // Assess
        expect(result).toMatchObject({ kind: 'not_sent', reason: 'aborted' });
        expect(server.connections).toBe(0);
      });
    });

    describe('the request as sent', () => {
      it('sends the given headers plus content-length and the exact body bytes', async () => {
        // Prepare
        let received: { method?: string; url?: string; headers: Record<string, string | string[] | undefined>; body: Buffer } | undefined;
        const server = await serve(
          startHttpServer((req, res, body) => {
            received = { method: req.method, url: req.url, headers: req.headers, body };
            res.writeHead(204).end();
          }),
        );
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);
        const body = '{"type":"user.created","data":{"name":"Zoë ✓ 😀","n":1}}';
        const headers = {
          'content-type': 'application/json',
          'user-agent': 'webhook-fanout/test',
          'webhook-id': 'msg_2b9',
          'webhook-timestamp': '1700000000',
          'webhook-signature': 'v1,abc= v1,def=',
          'X-Tenant': 'acme',
        };

        // Act
        const result = await post(sender, server.url('/hook?source=test'), { headers, body });

        // Assess
        expect(result).toMatchObject({ kind: 'response', statusCode: 204 });
        expect(received?.method).toBe('POST');
        expect(received?.url).toBe('/hook?source=test');
        expect(received?.body.equals(Buffer.from(body, 'utf8'))).toBe(true);
        const expected = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
        expect(received?.headers).toEqual({
          ...expected,
          'content-length': String(Buffer.byteLength(body)),
          host: `127.0.0.1:${server.port}`,
          connection: 'keep-alive',
        });
      });

      it('reaches an allowed IPv6 literal with its path and query, and again on the same connection', async () => {
        // Prepare
        const paths: Array<string | undefined> = [];
        const server = await serve(
          startHttpServer((req, res) => {
            paths.push(req.url);
            res.writeHead(200).end();
          }, '::1'),
        );
        const sender = new NodeHttpSender({ allowHttp: true, allowedNetworks: parseCidrList('::1/128') });
        const url = `http://[::1]:${server.port}/hook?source=test`;

        // Act
        const results = [await post(sender, url), await post(sender, url)];

        // Assess
        expect(results).toMatchObject([
          { kind: 'response', statusCode: 200 },
          { kind: 'response', statusCode: 200 },
        ]);
        expect(paths).toEqual(['/hook?source=test', '/hook?source=test']);
        expect(server.connections).toBe(1);
      });

      it('resolves with an error instead of throwing for a header Node refuses to send', async () => {
        // Prepare
        const server = await serve(startHttpServer((_req, res) => res.writeHead(200).end()));
        const sender = new NodeHttpSender(LOOPBACK_ALLOWED);

        // Act
        const attempt = post(sender, server.url(), { headers: { 'x-injected': 'a\r\nx-evil: 1' } });

        // Assess
        await expect(attempt).resolves.toMatchObject({ kind: 'error', error: 'invalid_target' });
        expect(server.connections).toBe(0);
      });
    });
  });
});
