import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Endpoints that accept the connection, read the request and never answer, each on a port of its
 * own: an origin of its own, whatever the pipeline counts as one endpoint.
 */
export class SilentEndpoints {
  readonly urls: string[] = [];
  requests = 0;
  private readonly servers: Server[] = [];

  async start(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const server = createServer((req) => {
        this.requests += 1;
        req.resume();
      });
      this.servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    }
  }

  /** Drops every connection: attempts still waiting fail at once, so the pipeline stops quickly. */
  async close(): Promise<void> {
    await Promise.all(
      this.servers.splice(0).map((server) => {
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      }),
    );
  }
}
