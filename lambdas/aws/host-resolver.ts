import { lookup } from 'node:dns/promises';
import type { HostResolver } from '../core/ports';

/**
 * The resolver used when a subscription is created or changed. A name that does not resolve, or
 * not in time, is not an error there: the endpoint may not exist yet, and every delivery resolves
 * and checks it again before connecting.
 */
export const systemHostResolver =
  (timeoutMs = 2_000): HostResolver =>
  async (hostname) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      const addresses = lookup(hostname, { all: true, verbatim: true }).then(
        (entries) => entries.map((entry) => entry.address),
        () => undefined,
      );
      return await Promise.race([addresses, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
