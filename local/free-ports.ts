import { createServer } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/**
 * Asks the kernel for a free TCP port by binding port 0 and releasing it again. Needed for
 * processes such as DynamoDB Local that cannot report the port they picked themselves; the tiny
 * window in which another process could take the port is accepted for a local tool.
 */
export function freePort(host: string = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`could not read the port bound on ${host}`));
        return;
      }
      const { port } = address;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}
