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
    /** Members the error adds after code and message, such as the `path` of an invalid filter. */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const errorBody = (code: string, message: string, details: Record<string, string> = {}): string =>
  JSON.stringify({ error: { code, message, ...details } });

/** A pagination cursor that this API did not hand out. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}
