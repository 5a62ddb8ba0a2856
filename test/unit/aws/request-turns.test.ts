import { describe, expect, it } from 'vitest';
import { RequestTurns } from '../../../lambdas/aws/request-turns';

/** Resolves in the event loop's next check phase: one turn later. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Takes a turn for request `i`, recording when it may start. */
const request = (turns: RequestTurns, started: number[], i: number): void => {
  const wait = turns.take();
  if (wait === undefined) started.push(i);
  else void wait.then(() => started.push(i));
};

describe('Class: RequestTurns', () => {
  it('starts as many requests as a turn allows at once, and the rest in order in the turns that follow', async () => {
    // Prepare
    const turns = new RequestTurns(4);
    const started: number[] = [];

    // Act
    for (let i = 0; i < 10; i++) request(turns, started, i);

    // Assess
    expect(started).toEqual([0, 1, 2, 3]);
    await nextTurn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await nextTurn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('makes a request that comes while others wait go after them', async () => {
    // Prepare
    const turns = new RequestTurns(2);
    const started: number[] = [];
    for (let i = 0; i < 5; i++) request(turns, started, i);
    await nextTurn();

    // Act: the turn that let 2 and 3 go has no room left, and 4 still waits.
    request(turns, started, 5);
    await nextTurn();
    await nextTurn();

    // Assess
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('lets a request go at once in a later turn with room', async () => {
    // Prepare
    const turns = new RequestTurns(1);
    const started: number[] = [];
    request(turns, started, 0);
    request(turns, started, 1);
    await nextTurn();
    await nextTurn();

    // Act
    request(turns, started, 2);

    // Assess
    expect(started).toEqual([0, 1, 2]);
  });
});
