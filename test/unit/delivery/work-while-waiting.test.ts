import { describe, expect, it } from 'vitest';
import { workWhileWaiting, type WorkWhileWaitingDeps } from '../../../lambdas/delivery/work-while-waiting';

type Message = { id: string };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A queue in memory: what the function takes, handles and removes, and how it settles each one. */
const aQueue = (messages: Message[], options: { handle?: (m: Message) => Promise<void>; remainingMs?: () => number } = {}) => {
  const waiting = [...messages];
  const handled: string[] = [];
  const removed: string[] = [];
  let receives = 0;
  const deps: WorkWhileWaitingDeps<Message> = {
    receive: async (max) => {
      receives += 1;
      await sleep(5);
      return waiting.splice(0, max);
    },
    handle: async (message) => {
      handled.push(message.id);
      await (options.handle ?? (async () => undefined))(message);
    },
    remove: async (message) => void removed.push(message.id),
    remainingMs: options.remainingMs ?? (() => 60_000),
    now: Date.now,
    onError: () => undefined,
  };
  return { deps, handled, removed, waiting, receives: () => receives };
};

const OPTIONS = { startAfterMs: 20, stopWhenRemainingMs: 1_000, maxInFlight: 4 };

describe('Function: workWhileWaiting', () => {
  it('takes nothing when the own batch finishes before the slow threshold: a healthy pipeline makes no extra request', async () => {
    // Prepare
    const queue = aQueue([{ id: 'a' }]);

    // Act
    const result = await workWhileWaiting(sleep(1), queue.deps, OPTIONS);

    // Assess
    expect(result).toEqual({ taken: 0 });
    expect(queue.receives()).toBe(0);
  });

  it('takes and delivers other messages while the own batch is held up, removing each one it handled', async () => {
    // Prepare: the own batch takes 200 ms; three messages wait in the queue.
    const queue = aQueue([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);

    // Act
    const result = await workWhileWaiting(sleep(200), queue.deps, OPTIONS);

    // Assess
    expect(result).toEqual({ taken: 3 });
    expect(queue.handled).toEqual(['a', 'b', 'c']);
    expect(queue.removed).toEqual(['a', 'b', 'c']);
  });

  it('leaves a message whose handling threw on the queue: nothing is removed unless it was handled', async () => {
    // Prepare
    const queue = aQueue([{ id: 'ok' }, { id: 'fails' }], {
      handle: async (message) => {
        if (message.id === 'fails') throw new Error('store down');
      },
    });

    // Act
    await workWhileWaiting(sleep(200), queue.deps, OPTIONS);

    // Assess
    expect(queue.handled).toEqual(['ok', 'fails']);
    expect(queue.removed).toEqual(['ok']);
  });

  it('never has more than maxInFlight taken messages at once, and waits for all of them before it returns', async () => {
    // Prepare: each taken message takes 50 ms.
    let inFlight = 0;
    let most = 0;
    const queue = aQueue(
      Array.from({ length: 12 }, (_, i) => ({ id: String(i) })),
      {
        handle: async () => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await sleep(50);
          inFlight -= 1;
        },
      },
    );

    // Act
    await workWhileWaiting(sleep(400), queue.deps, OPTIONS);

    // Assess
    expect(most).toBeLessThanOrEqual(OPTIONS.maxInFlight);
    expect(inFlight).toBe(0);
    expect(queue.removed).toHaveLength(12);
  });

  it('takes nothing once too little of the invocation is left for a whole attempt', async () => {
    // Prepare
    const queue = aQueue([{ id: 'a' }], { remainingMs: () => 500 });

    // Act
    const result = await workWhileWaiting(sleep(200), queue.deps, OPTIONS);

    // Assess
    expect(result).toEqual({ taken: 0 });
    expect(queue.waiting).toHaveLength(1);
  });

  it('stops taking when the own batch is done, even if it failed', async () => {
    // Prepare
    const queue = aQueue([]);
    const own = sleep(100).then(() => Promise.reject(new Error('batch failed')));
    own.catch(() => undefined);

    // Act
    const result = await workWhileWaiting(own, queue.deps, OPTIONS);

    // Assess
    expect(result).toEqual({ taken: 0 });
    expect(queue.receives()).toBeGreaterThan(0);
  });
});
