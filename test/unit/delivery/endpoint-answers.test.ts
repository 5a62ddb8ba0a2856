import { describe, expect, it } from 'vitest';
import { EndpointAnswers } from '../../../lambdas/delivery/endpoint-answers';

describe('Class: EndpointAnswers', () => {
  it('keeps the last answer heard from each endpoint', () => {
    // Prepare
    const answers = new EndpointAnswers();

    // Act
    answers.heard('t#sub_a', 1_000);
    answers.heard('t#sub_a', 2_000);

    // Assess
    expect(answers.lastAnswerAt('t#sub_a')).toBe(2_000);
    expect(answers.lastAnswerAt('t#sub_b')).toBeUndefined();
  });

  it('forgets the endpoint heard from longest ago once it remembers too many', () => {
    // Prepare: room for 2; a was heard first, but again after b
    const answers = new EndpointAnswers(2);
    answers.heard('a', 1);
    answers.heard('b', 2);
    answers.heard('a', 3);

    // Act
    answers.heard('c', 4);

    // Assess
    expect(answers.lastAnswerAt('b')).toBeUndefined();
    expect(answers.lastAnswerAt('a')).toBe(3);
    expect(answers.lastAnswerAt('c')).toBe(4);
  });
});
