import { ApiError } from './api-client';
import { MissingApiKeyError } from './errors';
import { InvalidScopeError } from '../admin/api-keys';

/**
 * Exit codes scripts can rely on (README, "Operator CLI"): what went wrong, not only that it did.
 */
export const EXIT = {
  ok: 0,
  /** Anything else: the network, AWS, a 5xx, a partial DLQ redrive. */
  failure: 1,
  /** The command line itself is wrong (unknown command or option, bad value). */
  usage: 2,
  /** The API answered 404: no such subscription or event for this key's tenant. */
  notFound: 3,
  /** The API answered 401 or 403: the key is missing, wrong, revoked or lacks the scope. */
  unauthorized: 4,
  /** The API refused the request as sent (400, 409, 413, 415, 422, 429). */
  refused: 5,
} as const;

export const exitCodeFor = (error: unknown): number => {
  // A scope or tenant name the key cannot have is a bad value on the command line.
  if (error instanceof InvalidScopeError) return EXIT.usage;
  if (error instanceof MissingApiKeyError) return EXIT.unauthorized;
  if (!(error instanceof ApiError)) return EXIT.failure;
  if (error.status === 404) return EXIT.notFound;
  if (error.status === 401 || error.status === 403) return EXIT.unauthorized;
  if (error.status >= 400 && error.status < 500) return EXIT.refused;
  return EXIT.failure;
};
