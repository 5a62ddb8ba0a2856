import { endpointKey } from './endpoint-key';

/**
 * Requests in flight from this function instance, per endpoint (subscription), with a cap. A
 * delivery over the cap waits in line for a place, for a bounded time; one that gets none in that
 * time is deferred (not an attempt). It bounds what one instance sends at once to an endpoint
 * that has stopped answering to a handful of requests, whose fate (answered, cut, counted by the
 * breaker) is known by the time the line gives up; a healthy endpoint's line moves as fast as it
 * answers. On Lambda an invocation holds at most a batch of group messages, so the cap rarely
 * binds there.
 */
export class EndpointConcurrency {
  private readonly inFlight = new Map<string, number>();
  private readonly lines = new Map<string, Array<(entered: boolean) => void>>();

  constructor(private readonly maxPerEndpoint: number) {}

  /** Takes a place for one request if one is free now. */
  tryEnter(tenantId: string, subscriptionId: string): boolean {
    const key = endpointKey(tenantId, subscriptionId);
    const current = this.inFlight.get(key) ?? 0;
    if (current >= this.maxPerEndpoint) return false;
    this.inFlight.set(key, current + 1);
    return true;
  }

  /** Takes a place for one request, waiting up to `maxWaitMs` for one; false when none came free. */
  enter(tenantId: string, subscriptionId: string, maxWaitMs: number): Promise<boolean> {
    if (this.tryEnter(tenantId, subscriptionId)) return Promise.resolve(true);
    const key = endpointKey(tenantId, subscriptionId);
    return new Promise((resolve) => {
      const line = this.lines.get(key) ?? [];
      this.lines.set(key, line);
      const timer = setTimeout(() => {
        line.splice(line.indexOf(waiter), 1);
        if (line.length === 0) this.lines.delete(key);
        resolve(false);
      }, maxWaitMs);
      const waiter = (entered: boolean) => {
        clearTimeout(timer);
        resolve(entered);
      };
      line.push(waiter);
    });
  }

  /** Gives the place to the next in line, or frees it. */
  leave(tenantId: string, subscriptionId: string): void {
    const key = endpointKey(tenantId, subscriptionId);
    const next = this.lines.get(key)?.shift();
    if (next !== undefined) {
      if (this.lines.get(key)!.length === 0) this.lines.delete(key);
      next(true);
      return;
    }
    const current = this.inFlight.get(key) ?? 0;
    if (current <= 1) this.inFlight.delete(key);
    else this.inFlight.set(key, current - 1);
  }
}
