/**
 * An error as one line for the terminal: its message, or its code or name when the message is
 * empty (some network errors come that way), with line breaks folded.
 */
export const oneLine = (error: unknown): string => {
  const { message, code, name } = (error ?? {}) as { message?: string; code?: string; name?: string };
  return (message || code || name || String(error)).replace(/\s*\n\s*/g, ' ');
};

/** No API key from `--api-key`, the environment or the local pipeline: not allowed, like a 401 (exit code 4). */
export class MissingApiKeyError extends Error {
  override name = 'MissingApiKeyError';
}
