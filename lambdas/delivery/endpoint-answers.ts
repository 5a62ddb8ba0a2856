/**
 * When this function instance last heard each endpoint answer (any HTTP status), by endpoint key.
 * The circuit breaker records it with every attempt it counts, and goes by it to tell consecutive
 * failures apart; the line per endpoint goes by it to give an endpoint not heard from lately a
 * smaller cap.
 */
export class EndpointAnswers {
  private readonly lastAt = new Map<string, number>();

  heard(key: string, atMs: number): void {
    this.lastAt.set(key, atMs);
  }

  lastAnswerAt(key: string): number | undefined {
    return this.lastAt.get(key);
  }
}
