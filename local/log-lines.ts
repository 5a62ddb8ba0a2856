/**
 * Turns the functions' structured (Powertools JSON) log lines into one readable line each for a
 * terminal. Pure. Lines that are not JSON pass through unchanged.
 */
type Fields = Record<string, unknown>;

const time = (fields: Fields): string => {
  const stamp = typeof fields.timestamp === 'string' ? new Date(fields.timestamp) : new Date();
  return stamp.toISOString().slice(11, 19);
};

const deliveryLine = (f: Fields): string => {
  const target = `${f.eventId} -> ${f.subscriptionId}`;
  const attempt = f.attempt === undefined ? '' : ` (attempt ${f.attempt})`;
  const status = f.statusCode === undefined ? '' : ` HTTP ${f.statusCode}`;
  const took = f.durationMs === undefined ? '' : ` in ${f.durationMs} ms`;
  const why = f.reason === undefined ? '' : ` ${f.reason}`;
  if (f.action === 'retry_later') {
    return f.attempt === undefined
      ? `deferred ${target}, due in ${f.retryInSeconds} s`
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
