import { EndpointAnswers } from './endpoint-answers';
import { endpointKey } from './endpoint-key';

/** How long an endpoint's answer counts; after that it is one this instance has not heard from. */
export const ANSWER_REMEMBERED_MS = 10 * 60_000;

export interface EndpointConcurrencyOptions {
  /** The cap for an endpoint this instance has not heard answer within ANSWER_REMEMBERED_MS; the cap itself when unset. */
  untilAnswered?: number;
  /** This instance's answers, as the circuit breaker records them (`breaker.answers`). */
  answers?: Pick<EndpointAnswers, 'lastAnswerAt'>;
  now?: () => number;
}

/**
 * Requests in flight from this function instance, per endpoint (subscription), with a cap. A
 * delivery over the cap waits in line for a place, for a bounded time; one that gets none in that
 * time is deferred (not an attempt). It bounds what one instance sends at once to an endpoint
 * that has stopped answering to a handful of requests, whose fate (answered, cut, counted by the
 * breaker) is known by the time the line gives up; a healthy endpoint's line moves as fast as it
 * answers. An endpoint not heard from lately (any HTTP status is an answer) gets a smaller cap,
 * the breaker's threshold, until it answers: one that never answers is sent no more at once than
 * it takes to open its circuit, while a healthy one is heard from within its first round trip.
 */
export class EndpointConcurrency {
  private readonly inFlight = new Map<string, number>();
  private readonly lines = new Map<string, Array<(entered: boolean) => void>>();
  private readonly untilAnswered: number;
  private readonly answers: Pick<EndpointAnswers, 'lastAnswerAt'>;
  private readonly now: () => number;

  constructor(
    private readonly maxPerEndpoint: number,
    options: EndpointConcurrencyOptions = {},
  ) {
    this.untilAnswered = Math.min(options.untilAnswered ?? maxPerEndpoint, maxPerEndpoint);
    this.answers = options.answers ?? new EndpointAnswers();
    this.now = options.now ?? Date.now;
  }

  /** Takes a place for one request if one is free now. */
  tryEnter(tenantId: string, subscriptionId: string): boolean {
    const key = endpointKey(tenantId, subscriptionId);
    const current = this.inFlight.get(key) ?? 0;
    if (current >= this.capOf(key)) return false;
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

  /** Gives the place back; the first in line take the places the endpoint's cap now allows. */
  leave(tenantId: string, subscriptionId: string): void {
    const key = endpointKey(tenantId, subscriptionId);
    let inFlight = (this.inFlight.get(key) ?? 0) - 1;
    const line = this.lines.get(key) ?? [];
    const cap = this.capOf(key);
    while (line.length > 0 && inFlight < cap) {
      inFlight += 1;
      line.shift()!(true);
    }
    if (line.length === 0) this.lines.delete(key);
    if (inFlight <= 0) this.inFlight.delete(key);
    else this.inFlight.set(key, inFlight);
  }

  private capOf(key: string): number {
    const answeredAt = this.answers.lastAnswerAt(key);
    return answeredAt !== undefined && this.now() - answeredAt < ANSWER_REMEMBERED_MS ? this.maxPerEndpoint : this.untilAnswered;
  }
}
