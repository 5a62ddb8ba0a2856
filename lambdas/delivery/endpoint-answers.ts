/** Endpoints whose last answer one instance remembers, at most (the longest silent are forgotten first). */
export const ANSWERS_REMEMBERED = 10_000;

/**
 * When this function instance last heard each endpoint answer (any HTTP status), by endpoint key.
 * The circuit breaker records it with every attempt it counts, and goes by it to tell consecutive
 * failures apart; the line per endpoint goes by it to give an endpoint not heard from lately a
 * smaller cap. A long-lived instance that serves many endpoints keeps only the most recent.
 */
export class EndpointAnswers {
  /** Oldest answer first. */
  private readonly lastAt = new Map<string, number>();

  constructor(private readonly maxRemembered = ANSWERS_REMEMBERED) {}

  heard(key: string, atMs: number): void {
    this.lastAt.delete(key);
    this.lastAt.set(key, atMs);
    if (this.lastAt.size > this.maxRemembered) this.lastAt.delete(this.lastAt.keys().next().value!);
  }

  lastAnswerAt(key: string): number | undefined {
    return this.lastAt.get(key);
  }
}
