import type { InitializeMiddleware, MiddlewareStack } from '@smithy/types';

/**
 * AWS requests that start in one turn of the event loop, at most; more wait for the next turns.
 * Each request costs its caller half a millisecond to a millisecond of CPU (serialising, signing
 * and writing it, then reading its answer), and what it does before it leaves runs between two
 * reads of the sockets. Where one instance has many deliveries in flight (a batch taking more
 * work while its attempts wait, or the local runtime's many invocations in one worker), hundreds
 * of requests can fall due in the same turn: a burst of attempts cut at the slow-attempt
 * threshold, each recording its outcome. Started all at once, they hold the event loop for a
 * hundred milliseconds or more, and a healthy endpoint's answer, or a message just received,
 * waits behind all of them. Taking turns, the sockets are read between every few requests; the
 * requests themselves go in the order they were made.
 */
export const REQUESTS_PER_TURN = 4;

export class RequestTurns {
  private startedThisTurn = 0;
  private turnEndScheduled = false;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly perTurn = REQUESTS_PER_TURN) {}

  /** Undefined when the request may start now; otherwise a promise that resolves on its turn. */
  take(): Promise<void> | undefined {
    this.scheduleTurnEnd();
    if (this.waiting.length === 0 && this.startedThisTurn < this.perTurn) {
      this.startedThisTurn += 1;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Makes every client request take its turn; returns the client. */
  attach<C extends { middlewareStack: unknown }>(client: C): C {
    const takeTurn: InitializeMiddleware<object, object> = (next) => async (args) => {
      await this.take();
      return next(args);
    };
    (client.middlewareStack as MiddlewareStack<object, object>).add(takeTurn, { step: 'initialize', priority: 'high', name: 'takeRequestTurn' });
    return client;
  }

  /**
   * A turn ends in the event loop's check phase, after it polled the sockets; the requests
   * waiting longest start then, counted against the turn that follows.
   */
  private scheduleTurnEnd(): void {
    if (this.turnEndScheduled) return;
    this.turnEndScheduled = true;
    setImmediate(() => {
      this.turnEndScheduled = false;
      this.startedThisTurn = 0;
      while (this.waiting.length > 0 && this.startedThisTurn < this.perTurn) {
        this.startedThisTurn += 1;
        this.waiting.shift()!();
      }
      if (this.startedThisTurn > 0) this.scheduleTurnEnd();
    });
  }
}

/** The turns of this execution environment: every client from `clients.ts` takes them. */
export const requestTurns = new RequestTurns();
