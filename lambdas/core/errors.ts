/**
 * A client-facing error: the status and code of the public error contract
 * `{"error": {"code", "message"}}`. Anything else that escapes a handler is a 500.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Members the error object carries after `code` and `message` (e.g. `position`). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const errorBody = (code: string, message: string, details: Record<string, unknown> = {}): string =>
  JSON.stringify({ error: { code, message, ...details } });

/**
 * The store's DynamoDB has no transactions: the local runtime's Java-less stand-in (dynalite).
 * DynamoDB itself and DynamoDB Local have them.
 */
export class TransactionsUnavailableError extends Error {
  override name = 'TransactionsUnavailableError';
}

/** A pagination cursor that this API did not hand out. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}
