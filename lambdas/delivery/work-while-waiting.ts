import { SQS_MAX_RECEIVE } from '../aws/sqs-queue-ops';

export interface WorkWhileWaitingOptions {
  /** Taking starts once the invocation's own batch has been pending this long. */
  startAfterMs: number;
  /** No message is taken once less than this is left of the invocation: enough for one attempt and its record. */
  stopWhenRemainingMs: number;
  /** Taken messages in flight at once, at most. */
  maxInFlight: number;
}

/** What taking work needs, for messages of type `M` taken from the queue by the function itself. */
export interface WorkWhileWaitingDeps<M> {
  /** Up to `max` messages, waiting a little for them (a long poll). */
  receive(max: number): Promise<M[]>;
  /** Delivers one message; a throw leaves it on the queue (its visibility set, or to reappear). */
  handle(message: M, receivedAt: number): Promise<void>;
  /** Removes a message that was handled. */
  remove(message: M): Promise<void>;
  remainingMs(): number;
  now(): number;
  onError(error: unknown): void;
}


/**
 * While an invocation's own batch is held up by attempts waiting for an answer, the invocation
 * takes more messages from the queue and delivers them too, each settled as the event source would
 * (deleted once handled, left on the queue otherwise). An endpoint that never answers holds the
 * invocations that called it for up to the attempt timeout; this way a held invocation keeps
 * delivering everyone else's messages instead of idling, so the event source's concurrency is
 * never used up by waiting. It takes nothing unless its own batch is slow, so a healthy pipeline
 * makes no extra request.
 */
export const workWhileWaiting = async <M>(
  own: Promise<unknown>,
  deps: WorkWhileWaitingDeps<M>,
  options: WorkWhileWaitingOptions,
): Promise<{ taken: number }> => {
  let ownDone = false;
  const ownSettled = own.then(
    () => void (ownDone = true),
    () => void (ownDone = true),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ownSettled, new Promise((resolve) => (timer = setTimeout(resolve, options.startAfterMs)))]);
  clearTimeout(timer);

  const inFlight = new Set<Promise<void>>();
  let taken = 0;
  const settle = async (message: M, receivedAt: number): Promise<void> => {
    try {
      await deps.handle(message, receivedAt);
    } catch {
      return;
    }
    try {
      await deps.remove(message);
    } catch (error) {
      // Handled but not removed: it comes back, and its record makes the next receive a duplicate.
      deps.onError(error);
    }
  };

  while (!ownDone && deps.remainingMs() > options.stopWhenRemainingMs) {
    const room = options.maxInFlight - inFlight.size;
    if (room <= 0) {
      await Promise.race([ownSettled, ...inFlight]);
      continue;
    }
    let messages: M[];
    try {
      messages = await deps.receive(Math.min(SQS_MAX_RECEIVE, room));
    } catch (error) {
      deps.onError(error);
      break;
    }
    const receivedAt = deps.now();
    for (const message of messages) {
      taken += 1;
      const work: Promise<void> = settle(message, receivedAt).finally(() => inFlight.delete(work));
      inFlight.add(work);
    }
  }
  await Promise.all(inFlight);
  return { taken };
};
