import { describe, expect, it } from 'vitest';
import { EndpointAnswers } from '../../../lambdas/delivery/endpoint-answers';
import { EndpointConcurrency } from '../../../lambdas/delivery/endpoint-concurrency';
import { endpointKey } from '../../../lambdas/delivery/endpoint-key';

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

  /** Places taken at once by `count` requests to sub_a, each trying without waiting. */
  const tryMany = (concurrency: EndpointConcurrency, count: number): boolean[] =>
    Array.from({ length: count }, () => concurrency.tryEnter('t', 'sub_a'));

  it('sends no more at once than the smaller cap to an endpoint not heard from', () => {
    // Prepare
    const concurrency = new EndpointConcurrency(4, { untilAnswered: 2, answers: new EndpointAnswers() });

    // Act
    const entered = tryMany(concurrency, 3);
    concurrency.leave('t', 'sub_a');
    const afterSilence = tryMany(concurrency, 2);

    // Assess: a request that got no answer leaves the endpoint as unheard from as before.
    expect(entered).toEqual([true, true, false]);
    expect(afterSilence).toEqual([true, false]);
  });

  it('opens the whole cap once the endpoint answers, and lets the line in at once', async () => {
    // Prepare
    const answers = new EndpointAnswers();
    const concurrency = new EndpointConcurrency(4, { untilAnswered: 2, answers });
    tryMany(concurrency, 2);
    const waiting = [concurrency.enter('t', 'sub_a', 5_000), concurrency.enter('t', 'sub_a', 5_000), concurrency.enter('t', 'sub_a', 5_000)];

    // Act: the request made with one place was answered (the breaker records it), and gives it back
    answers.heard(endpointKey('t', 'sub_a'), Date.now());
    concurrency.leave('t', 'sub_a');

    // Assess: 1 still in flight and the 3 waiting make 4, the whole cap.
    expect(await Promise.all(waiting)).toEqual([true, true, true]);
    expect(concurrency.tryEnter('t', 'sub_a')).toBe(false);
  });

  it('forgets an answer after ten minutes', () => {
    // Prepare
    let now = 0;
    const answers = new EndpointAnswers();
    const concurrency = new EndpointConcurrency(4, { untilAnswered: 1, answers, now: () => now });
    answers.heard(endpointKey('t', 'sub_a'), now);

    // Act
    const soon = tryMany(concurrency, 4);
    for (let i = 0; i < 4; i++) concurrency.leave('t', 'sub_a');
    now = 10 * 60_000;
    const later = tryMany(concurrency, 2);

    // Assess
    expect(soon).toEqual([true, true, true, true]);
    expect(later).toEqual([true, false]);
  });

  it('keeps each endpoint\'s answers its own', () => {
    // Prepare
    const answers = new EndpointAnswers();
    const concurrency = new EndpointConcurrency(4, { untilAnswered: 1, answers });
    answers.heard(endpointKey('t', 'sub_b'), Date.now());

    // Act
    const entered = tryMany(concurrency, 2);

    // Assess
    expect(entered).toEqual([true, false]);
  });
});
