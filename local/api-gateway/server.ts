import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiGatewayEvent } from './event';
import { selectRoute, type HttpRoute } from './routes';
import type { ApiAnswer } from '../log-lines';

/** API Gateway refuses larger payloads before any function sees them. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export type Invoke = (functionLogicalId: string, event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2 | string | undefined>;

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is already in use: stop what is using it, or start with PORT=<another port>`);
    this.name = 'PortInUseError';
  }
}

/** Told what was answered to each request (the runtime logs refused ones). */
export type AnswerObserver = (answer: ApiAnswer) => void;

interface Written {
  statusCode: number;
  body: Buffer;
}

const send = (res: ServerResponse, statusCode: number, body: string): Written => {
  res.writeHead(statusCode, { 'content-type': 'application/json' });
  const bytes = Buffer.from(body);
  res.end(bytes);
  return { statusCode, body: bytes };
};

/**
 * The request's body, or undefined when it is over the limit. An oversized body is still read to
 * its end, and dropped: a connection closed while the client is still sending is reset, and the
 * client would see that instead of the 413.
 */
const readBody = (req: IncomingMessage): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_PAYLOAD_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });

/** Writes a function's payload-format-2.0 answer the way API Gateway does, including its shortcuts. */
const writeResult = (res: ServerResponse, result: APIGatewayProxyStructuredResultV2 | string | undefined): Written => {
  if (result === undefined || typeof result === 'string' || result.statusCode === undefined) {
    // A bare value is taken as a 200 JSON body.
    return send(res, 200, typeof result === 'string' ? result : JSON.stringify(result ?? null));
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  res.writeHead(result.statusCode, headers);
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  res.end(body);
  return { statusCode: result.statusCode, body };
};

/** The path of a request's URL, without its query string. */
const pathOf = (url: string): string => {
  try {
    return new URL(url, 'http://localhost').pathname;
  } catch {
    return url.split('?')[0]!;
  }
};

/**
 * The HTTP API on 127.0.0.1: each request becomes the API Gateway v2 event of the route the
 * template declares, and the integrated function's answer becomes the response.
 */
export const startHttpServer = async (
  routes: readonly HttpRoute[],
  invoke: Invoke,
  port: number,
  observe: AnswerObserver = () => undefined,
): Promise<{ server: Server; port: number }> => {
  const answer = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<Written> => {
    try {
      const route = selectRoute(routes, req.method ?? 'GET', path);
      if (route === undefined) return send(res, 404, JSON.stringify({ message: 'Not Found' }));
      const body = await readBody(req);
      // API Gateway's own answer beyond its payload limit, before any function sees the request.
      if (body === undefined) return send(res, 413, JSON.stringify({ message: 'Request Entity Too Large' }));
      const event = apiGatewayEvent(
        { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, sourceIp: req.socket.remoteAddress ?? '127.0.0.1' },
        route.routeKey,
      );
      return writeResult(res, await invoke(route.functionLogicalId, event));
    } catch {
      // What API Gateway answers when the integration fails or times out.
      if (!res.headersSent) return send(res, 500, JSON.stringify({ message: 'Internal Server Error' }));
      res.destroy();
      return { statusCode: res.statusCode, body: Buffer.alloc(0) };
    }
  };
  const server = createServer(async (req, res) => {
    const path = pathOf(req.url ?? '/');
    const { statusCode, body } = await answer(req, res, path);
    observe({ method: req.method ?? 'GET', path, statusCode, body: body.toString('utf8') });
  });
  // Node closes an idle connection after 5 s; a client that reuses it just then (its own idle
  // limit is a second shorter, and a busy machine delays its timers) sees "other side closed" on
  // a request the API never read. API Gateway keeps idle connections far longer, so does this.
  server.keepAliveTimeout = IDLE_CONNECTION_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
};

/** How long an idle keep-alive connection stays open. */
export const IDLE_CONNECTION_MS = 65_000;

/** Fails fast, before anything else starts, when the port is taken (0 always succeeds). */
export const assertPortFree = async (port: number): Promise<void> => {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
};
