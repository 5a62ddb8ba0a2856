import { describe, expect, it } from 'vitest';
import { SharedReceive } from '../../../lambdas/delivery/shared-receive';

/** A queue of numbered messages, received ten at most at a time, each receive noted with the count asked for. */
const queueOf = (count: number) => {
  const messages = Array.from({ length: count }, (_, i) => i);
  const asked: number[] = [];
  const receive = async (max: number) => {
    asked.push(max);
    await new Promise((resolve) => setTimeout(resolve, 1));
    return messages.splice(0, Math.min(max, 10));
  };
  return { asked, receive, left: () => messages.length };
};

describe('Class: SharedReceive', () => {
  it('makes one receive at a time for many takers, and hands every message received to one of them, in order', async () => {
    // Prepare
    const queue = queueOf(25);
    const shared = new SharedReceive(queue.receive);

    // Act: five takers at once, three messages each
    const taken = await Promise.all(Array.from({ length: 5 }, () => shared.take(3)));

    // Assess: two receives (ten for the five takers, then three for the one left), none lost or repeated
    expect(taken).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9], [10, 11, 12]]);
    expect(queue.asked).toEqual([10, 3]);
    expect(queue.left()).toBe(25 - 13);
  });

  it('answers every waiting taker with none when a receive comes back empty, and receives again for the next', async () => {
    // Prepare
    const queue = queueOf(0);
    const shared = new SharedReceive(queue.receive);

    // Act
    const empty = await Promise.all([shared.take(10), shared.take(10)]);
    const again = await shared.take(1);

    // Assess
    expect(empty).toEqual([[], []]);
    expect(again).toEqual([]);
    expect(queue.asked).toEqual([10, 1]);
  });

  it('fails every waiting taker when a receive fails, and tries again for the next', async () => {
    // Prepare
    let calls = 0;
    const shared = new SharedReceive(async () => {
      calls += 1;
      if (calls === 1) throw new Error('throttled');
      return ['m'];
    });

    // Act
    const failed = await Promise.allSettled([shared.take(5), shared.take(5)]);
    const next = await shared.take(5);

    // Assess
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(next).toEqual(['m']);
  });
});
