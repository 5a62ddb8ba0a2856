import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';

/**
 * Misbehaving receivers for the HTTP sender's tests: real servers on loopback that count the TCP
 * connections they accept, so a test can prove that nothing reached them (a refused target, a
 * redirect not followed) or how often a connection was reused.
 */
export interface FaultServer {
  readonly host: string;
  readonly port: number;
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Every socket accepted so far, open or closed. */
  readonly sockets: readonly Socket[];
  url(path?: string): string;
  close(): Promise<void>;
}

export type HttpHandler = (request: IncomingMessage, response: ServerResponse, body: Buffer) => void;

const track = (server: HttpServer | TcpServer, host: string, scheme: 'http' | 'https') => {
  const sockets: Socket[] = [];
  server.on('connection', (socket: Socket) => {
    sockets.push(socket);
    // A test ends a connection however it likes (destroy, reset); the server must not crash on it.
    socket.on('error', () => undefined);
  });
  return new Promise<FaultServer>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      resolve({
        host,
        port,
        get connections() {
          return sockets.length;
        },
        sockets,
        url: (path = '/hook') => `${scheme}://${authority}${path}`,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
};

/** An HTTP server that hands each fully read request to `handler`. */
export const startHttpServer = (handler: HttpHandler, host = '127.0.0.1'): Promise<FaultServer> => {
  const server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handler(request, response, Buffer.concat(chunks)));
  });
  return track(server, host, 'http');
};

/** An HTTPS server with `TEST_ONLY_SELF_SIGNED`: a client that checks certificates refuses it. */
export const startSelfSignedHttpsServer = (handler: HttpHandler): Promise<FaultServer> => {
  const server = createHttpsServer({ key: TEST_ONLY_SELF_SIGNED.key, cert: TEST_ONLY_SELF_SIGNED.cert }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handler(request, response, Buffer.concat(chunks)));
  });
  return track(server, '127.0.0.1', 'https');
};

/** A bare TCP server, for receivers that never speak HTTP properly (accept and stay silent, reset). */
export const startTcpServer = (onSocket: (socket: Socket) => void, host = '127.0.0.1'): Promise<FaultServer> =>
  track(createTcpServer(onSocket), host, 'http');

/** A loopback port nothing listens on: bound, then released, so connecting to it is refused. */
export const closedPort = async (): Promise<number> => {
  const server = await startTcpServer(() => undefined);
  await server.close();
  return server.port;
};

/** Resolves once `condition` holds, or fails after `timeoutMs`: the only way these tests wait. */
export const waitFor = async (condition: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/**
 * A throwaway self-signed certificate for 127.0.0.1 (P-256, valid for a century), generated for
 * these tests only and trusted by nothing: the point is that the sender refuses it.
 */
export const TEST_ONLY_SELF_SIGNED = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSXx1+ACv12P7dMkO
E+4Xra18BII5C5/r9jdehVE3giyhRANCAATB1RSh5I12IhUy2N+zKdnU3Ckji9/V
76wsZTp4MjwSrZfdSmQM/8hSxWGXkJR4cXjn5E8X6gvAb7ISTc1op60x
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBjzCCATagAwIBAgIUQyaHLBTvrxriW3X5wrgzYtWyNtMwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyODE3NDcxNloYDzIxMjYxMTA0
MTc0NzE2WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATB1RSh5I12IhUy2N+zKdnU3Ckji9/V76wsZTp4MjwSrZfdSmQM/8hS
xWGXkJR4cXjn5E8X6gvAb7ISTc1op60xo2QwYjAdBgNVHQ4EFgQUhbvjz/efNwFO
ofHSbrFn8YaA4VswHwYDVR0jBBgwFoAUhbvjz/efNwFOofHSbrFn8YaA4VswDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0cAMEQC
IEECmqLEThgRgtiiujSVik3kxQs7qOa0Ee/Xuhf+8c+4AiBXhuw0xWNyWpdqjvDt
ng6waXVnDkc0cTMdjev4X2qx2Q==
-----END CERTIFICATE-----
`,
};
