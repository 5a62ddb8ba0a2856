/**
 * Turns the functions' structured (Powertools JSON) log lines into one readable line each for a
 * terminal. Pure. Lines that are not JSON pass through unchanged.
 */
type Fields = Record<string, unknown>;

const clock = (at: Date): string => at.toISOString().slice(11, 19);

const time = (fields: Fields): string => clock(typeof fields.timestamp === 'string' ? new Date(fields.timestamp) : new Date());

/** One subscription, or the subscriptions of a group that waits whole (one line for all of them). */
const targetOf = (f: Fields): string =>
  Array.isArray(f.subscriptionIds) ? `${f.eventId} -> ${f.subscriptionIds.join(', ')}` : `${f.eventId} -> ${f.subscriptionId}`;

const deliveryLine = (f: Fields): string => {
  const target = targetOf(f);
  const attempt = f.attempt === undefined ? '' : ` (attempt ${f.attempt})`;
  const status = f.statusCode === undefined ? '' : ` HTTP ${f.statusCode}`;
  const took = f.durationMs === undefined ? '' : ` in ${f.durationMs} ms`;
  // The transport error's own words (`tls: wrong version number`), not only its kind.
  const why = f.reason === undefined ? '' : f.error === undefined ? ` ${f.reason}` : ` ${f.reason}: ${f.error}`;
  if (f.action === 'retry_later') {
    return f.attempt === undefined
      ? `deferred  ${target}${f.deferred === undefined ? '' : ` (${String(f.deferred).replaceAll('_', ' ')})`}, due in ${f.retryInSeconds} s`
      : `failed    ${target}${status}${why}${took}${attempt}, retry in ${f.retryInSeconds} s`;
  }
  const label = String(f.status ?? 'done').padEnd(9);
  return `${label} ${target}${status}${why}${took}${attempt}`;
};

export const formatLogLine = (line: string, functionName: string): string | undefined => {
  if (line.trim() === '') return undefined;
  let fields: Fields;
  try {
    fields = JSON.parse(line) as Fields;
  } catch {
    return `${functionName}: ${line}`;
  }
  if (fields === null || typeof fields !== 'object') return `${functionName}: ${line}`;
  // Embedded-metric lines are for CloudWatch, not for a person reading the terminal.
  if ('_aws' in fields) return undefined;
  const at = time(fields);
  switch (fields.message) {
    case 'delivery':
      return `${at} ${deliveryLine(fields)}`;
    case 'event accepted':
      return `${at} accepted  ${fields.eventId} ${fields.type} (tenant ${fields.tenantId})`;
    case 'fan-out':     {
      const count = Number(fields.deliveries ?? 0);
      const continuing = fields.status === 'continued' ? ', continuing' : '';
      return `${at} fan-out   ${fields.eventId}: ${count} ${count === 1 ? 'delivery' : 'deliveries'}${continuing}`;
    }
    default: {
      const level = String(fields.level ?? 'INFO');
      const extra = fields.error ? ` ${JSON.stringify(fields.error)}` : fields.reason ? ` (${fields.reason})` : '';
      return `${at} ${level} ${functionName}: ${String(fields.message)}${extra}`;
    }
  }
};

/** What the local HTTP API answered to one request. */
export interface ApiAnswer {
  method: string;
  /** The path alone: the query string is left out. */
  path: string;
  statusCode: number;
  /** The response body as text. */
  body: string;
}

/** The error's `code: message` of an API answer, or API Gateway's own `message`. */
const errorOf = (body: string): string => {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown }; message?: unknown };
    if (parsed?.error?.code !== undefined) return ` ${String(parsed.error.code)}: ${String(parsed.error.message ?? '')}`;
    if (parsed?.message !== undefined) return ` ${String(parsed.message)}`;
  } catch {
    // not JSON: the status says it
  }
  return '';
};

/**
 * One line for a request the API refused (4xx) or failed (5xx): method, path, status and the
 * error it answered. Never a header (the API key travels in one) nor the request's body.
 */
export const refusedRequestLine = (answer: ApiAnswer, at: Date = new Date()): string =>
  `${clock(at)} ${(answer.statusCode >= 500 ? 'failed' : 'rejected').padEnd(9)} ${answer.method} ${answer.path} ${answer.statusCode}${errorOf(answer.body)}`;

/** A line of the runtime's own warnings, such as one about a subscription's URL. */
export const warningLine = (subject: string, warning: string, at: Date = new Date()): string => `${clock(at)} ${'warning'.padEnd(9)} ${subject}: ${warning}`;

/** Splits a stream of chunks into lines and hands each formatted line to `write`. */
export const lineFormatter = (functionName: string, write: (line: string) => void) => {
  let buffered = '';
  return (chunk: Buffer | string) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const formatted = formatLogLine(line, functionName);
      if (formatted !== undefined) write(formatted);
    }
  };
};
