import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiGatewayEvent } from './apigw-event';
import { selectRoute, type HttpRoute } from './http-routes';

/** API Gateway refuses larger payloads before any function sees them. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export type Invoke = (functionLogicalId: string, event: unknown) => Promise<APIGatewayProxyStructuredResultV2 | string | undefined>;

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is already in use: stop what is using it, or start with PORT=<another port>`);
    this.name = 'PortInUseError';
  }
}

const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
};

const readBody = (req: IncomingMessage): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) {
        resolve(undefined);
        req.destroy();
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/** Writes a function's payload-format-2.0 answer the way API Gateway does, including its shortcuts. */
const writeResult = (res: ServerResponse, result: APIGatewayProxyStructuredResultV2 | string | undefined) => {
  if (result === undefined || typeof result === 'string' || result.statusCode === undefined) {
    // A bare value is taken as a 200 JSON body.
    return send(res, 200, typeof result === 'string' ? result : JSON.stringify(result ?? null));
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  res.writeHead(result.statusCode, headers);
  res.end(result.body === undefined ? '' : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8'));
};

/**
 * The HTTP API on 127.0.0.1: each request becomes the API Gateway v2 event of the route the
 * template declares, and the integrated function's answer becomes the response.
 */
export const startHttpServer = async (routes: readonly HttpRoute[], invoke: Invoke, port: number): Promise<{ server: Server; port: number }> => {
  const server = createServer(async (req, res) => {
    try {
      const route = selectRoute(routes, req.method ?? 'GET', new URL(req.url ?? '/', 'http://localhost').pathname);
      if (route === undefined) return send(res, 404, JSON.stringify({ message: 'Not Found' }));
      const body = await readBody(req);
      if (body === undefined) return send(res, 413, JSON.stringify({ message: 'Request Entity Too Large' }));
      const event = apiGatewayEvent(
        { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, sourceIp: req.socket.remoteAddress ?? '127.0.0.1' },
        route.routeKey,
      );
      writeResult(res, await invoke(route.functionLogicalId, event));
    } catch {
      // What API Gateway answers when the integration fails or times out.
      if (!res.headersSent) send(res, 500, JSON.stringify({ message: 'Internal Server Error' }));
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
};

/** Fails fast, before anything else starts, when the port is taken (0 always succeeds). */
export const assertPortFree = async (port: number): Promise<void> => {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
};
