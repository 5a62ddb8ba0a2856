import { expect } from 'vitest';
import { HttpError } from '../../lambdas/core/errors';

/** The HttpError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export const rejectionOf = async (promise: Promise<unknown>): Promise<HttpError> => {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
};

/** Asserts `low <= value <= high`: for values with a documented range, such as a jittered delay. */
export const expectBetween = (value: number, low: number, high: number): void => {
  expect(value).toBeGreaterThanOrEqual(low);
  expect(value).toBeLessThanOrEqual(high);
};
