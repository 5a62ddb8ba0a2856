import { describe, expect, it } from 'vitest';
import { EndpointConcurrency } from '../../../lambdas/delivery/endpoint-concurrency';

describe('Class: EndpointConcurrency', () => {
  it('gives places up to the cap at once, per endpoint', async () => {
    // Prepare
    const concurrency = new EndpointConcurrency(2);

    // Act
    const first = await concurrency.enter('t', 'sub_a', 0);
    const second = await concurrency.enter('t', 'sub_a', 0);
    const third = await concurrency.enter('t', 'sub_a', 0);
    const other = await concurrency.enter('t', 'sub_b', 0);

    // Assess
    expect([first, second, third, other]).toEqual([true, true, false, true]);
  });

  it('hands a freed place to the first in line, in order', async () => {
    // Prepare
    const concurrency = new EndpointConcurrency(1);
    await concurrency.enter('t', 'sub_a', 0);
    const order: string[] = [];
    const waiting = [
      concurrency.enter('t', 'sub_a', 5_000).then((entered) => order.push(`one:${entered}`)),
      concurrency.enter('t', 'sub_a', 5_000).then((entered) => order.push(`two:${entered}`)),
    ];

    // Act
    concurrency.leave('t', 'sub_a');
    await waiting[0];
    concurrency.leave('t', 'sub_a');
    await waiting[1];

    // Assess
    expect(order).toEqual(['one:true', 'two:true']);
  });

  it('gives up on a wait that runs out, and that waiter takes no place', async () => {
    // Prepare
    const concurrency = new EndpointConcurrency(1);
    await concurrency.enter('t', 'sub_a', 0);

    // Act
    const late = await concurrency.enter('t', 'sub_a', 20);
    concurrency.leave('t', 'sub_a');
    const afterLeave = await concurrency.enter('t', 'sub_a', 0);

    // Assess
    expect(late).toBe(false);
    expect(afterLeave).toBe(true);
  });
});
