/**
 * Work for one key runs one piece at a time, in the order it was asked for; work for different
 * keys runs at once. A piece that fails does not stop the next.
 */
export class OneAtATime {
  private readonly tails = new Map<string, Promise<void>>();

  /** Whether work for `key` is running or waiting. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const result = previous === undefined ? work() : previous.then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
