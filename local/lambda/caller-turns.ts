/**
 * Requests to one local function, at most `limit` at once, the rest served in turn by caller.
 *
 * On Lambda each request has an instance of its own, so one caller's burst does not delay another
 * caller's request. Locally every request of a function runs in one worker on the machine's few
 * cores, against one DynamoDB Local: left to run all at once, a burst of a hundred requests from one
 * tenant would make the next tenant's request wait behind all of them. So a few run at once, and
 * the callers waiting take turns, one request each: a caller with one request waits for at most one
 * turn of each caller ahead of it, however many requests those callers have queued.
 */
export class CallerTurns {
  private running = 0;
  /** Each waiting caller's requests, first come first; the map's order is the order of turns. */
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  /** Runs `work` when `caller`'s turn comes. */
  async run<T>(caller: string, work: () => Promise<T>): Promise<T> {
    if (this.running < this.limit && this.waiting.size === 0) this.running += 1;
    else await this.turnOf(caller);
    try {
      return await work();
    } finally {
      this.passOn();
    }
  }

  /** Requests waiting for a turn. */
  get queued(): number {
    let count = 0;
    for (const requests of this.waiting.values()) count += requests.length;
    return count;
  }

  private turnOf(caller: string): Promise<void> {
    return new Promise((resolve) => {
      const requests = this.waiting.get(caller);
      if (requests === undefined) this.waiting.set(caller, [resolve]);
      else requests.push(resolve);
    });
  }

  /** A request ended: its place goes to the first caller in turn, who then goes to the back. */
  private passOn(): void {
    const next = this.waiting.entries().next();
    if (next.done === true) {
      this.running -= 1;
      return;
    }
    const [caller, requests] = next.value;
    const start = requests.shift()!;
    this.waiting.delete(caller);
    if (requests.length > 0) this.waiting.set(caller, requests);
    start();
  }
}
