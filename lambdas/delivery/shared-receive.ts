import { SQS_MAX_RECEIVE } from '../aws/sqs-queue-ops';

interface Taker<M> {
  max: number;
  resolve: (messages: M[]) => void;
  reject: (error: unknown) => void;
}

/**
 * The receives of every invocation of this instance that takes work while waiting, made one at a
 * time and shared out: each taker gets up to the number of messages it asked for, in the order it
 * asked, and every message received goes to a taker. On Lambda an instance runs one invocation at
 * a time and this changes nothing; where one instance runs many at once (the local runtime), fifty
 * held invocations make one long poll between them, not fifty.
 *
 * A receive that comes back empty answers every taker waiting with none, as its own long poll
 * would have; a receive that fails fails them all.
 */
export class SharedReceive<M> {
  private readonly takers: Taker<M>[] = [];
  private receiving = false;

  constructor(private readonly receive: (max: number) => Promise<M[]>) {}

  take(max: number): Promise<M[]> {
    return new Promise((resolve, reject) => {
      this.takers.push({ max, resolve, reject });
      if (this.receiving) return;
      this.receiving = true;
      // Takers asking in the same moment are counted into the first receive.
      queueMicrotask(() => void this.receiveForTakers());
    });
  }

  private async receiveForTakers(): Promise<void> {
    try {
      while (this.takers.length > 0) {
        // Sized for the takers waiting now, so every message it brings has a taker.
        const wanted = Math.min(SQS_MAX_RECEIVE, this.takers.reduce((sum, taker) => sum + taker.max, 0));
        let messages: M[];
        try {
          messages = await this.receive(wanted);
        } catch (error) {
          for (const taker of this.takers.splice(0)) taker.reject(error);
          return;
        }
        if (messages.length === 0) {
          for (const taker of this.takers.splice(0)) taker.resolve([]);
          continue;
        }
        while (messages.length > 0) {
          const taker = this.takers.shift()!;
          taker.resolve(messages.splice(0, taker.max));
        }
      }
    } finally {
      this.receiving = false;
    }
  }
}
