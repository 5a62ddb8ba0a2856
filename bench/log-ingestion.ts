import { functionsOf, localFunctionName, type FunctionLogging } from '../local/template/functions';
import { resourcesOfType } from '../local/template/document';
import type { FunctionUsage } from './pipeline/aws-meter';

/**
 * The log lines CloudWatch Logs bills a run for: what the functions wrote, the platform records
 * Lambda adds to each invocation as far as the function's system log level admits them, and the
 * API's access log. Levels and formats come from the synthesized template, so the model follows
 * the construct. Pure.
 */

/** CloudWatch Logs bills 26 bytes of metadata per log event on top of its message. */
export const LOG_EVENT_OVERHEAD_BYTES = 26;

/** What the deployed template says each log group receives. */
export interface DeployedLogging {
  /** Per function, by the name the local runtime gives it (`IngestFunction`). */
  readonly functions: ReadonlyMap<string, FunctionLogging>;
  /** The line format of the API stage's access log; absent when it writes none. */
  readonly accessLogFormat?: string;
}

export class UnexpectedTemplateError extends Error {
  override name = 'UnexpectedTemplateError';
}

export const deployedLogging = (template: unknown): DeployedLogging => {
  const formats = resourcesOfType(template, 'AWS::ApiGatewayV2::Stage').flatMap((stage) => {
    const settings = stage.properties.AccessLogSettings as { Format?: unknown } | undefined;
    return typeof settings?.Format === 'string' ? [settings.Format] : [];
  });
  // Requests go through one stage; with several, which one logs them is not the template's to say.
  if (formats.length > 1) throw new UnexpectedTemplateError(`${formats.length} API stages write access logs; the model prices one`);
  return {
    functions: new Map(functionsOf(template).map((fn) => [localFunctionName(fn), fn.logging])),
    ...(formats[0] === undefined ? {} : { accessLogFormat: formats[0] }),
  };
};

const REQUEST_ID = '8f5a3c1e-7b2d-4e6f-9a0b-1c2d3e4f5a6b';
const TIME = '2026-01-01T12:00:00.000Z';

/** Lambda's system log levels, most detailed first: a level admits itself and those after it. */
const SYSTEM_LEVELS = ['DEBUG', 'INFO', 'WARN'] as const;
type SystemLevel = (typeof SYSTEM_LEVELS)[number];

/**
 * The records of one successful warm invocation in the JSON log format (Telemetry API shapes), at
 * the level Lambda files each under: start and report at INFO, runtimeDone at DEBUG.
 */
const JSON_PLATFORM_RECORDS: ReadonlyArray<{ level: SystemLevel; line: string }> = [
  { level: 'INFO', line: JSON.stringify({ time: TIME, type: 'platform.start', record: { requestId: REQUEST_ID, version: '$LATEST' } }) },
  {
    level: 'DEBUG',
    line: JSON.stringify({ time: TIME, type: 'platform.runtimeDone', record: { requestId: REQUEST_ID, status: 'success', metrics: { durationMs: 41.25, producedBytes: 0 } } }),
  },
  {
    level: 'INFO',
    line: JSON.stringify({
      time: TIME,
      type: 'platform.report',
      record: { requestId: REQUEST_ID, metrics: { durationMs: 41.25, billedDurationMs: 42, memorySizeMB: 256, maxMemoryUsedMB: 98 }, status: 'success' },
    }),
  },
];

/** The text log format has no levels: Lambda writes all three lines. */
const TEXT_PLATFORM_LINES: readonly string[] = [
  `START RequestId: ${REQUEST_ID} Version: $LATEST`,
  `END RequestId: ${REQUEST_ID}`,
  `REPORT RequestId: ${REQUEST_ID}\tDuration: 41.25 ms\tBilled Duration: 42 ms\tMemory Size: 256 MB\tMax Memory Used: 98 MB\t`,
];

const admits = (configured: string, level: SystemLevel): boolean =>
  SYSTEM_LEVELS.indexOf(level) >= SYSTEM_LEVELS.indexOf(configured as SystemLevel);

/** The platform lines Lambda writes to the log group for each successful invocation. */
export const platformLinesPerInvocation = (logging: FunctionLogging): readonly string[] =>
  logging.format === 'Text' ? TEXT_PLATFORM_LINES : JSON_PLATFORM_RECORDS.filter((record) => admits(logging.systemLogLevel, record.level)).map((record) => record.line);

/** What API Gateway fills in for the workload's request: `POST /v1/events`, answered 202. */
const ACCESS_LOG_VALUES: Readonly<Record<string, string>> = {
  '$context.requestId': 'JkHgnhM4IAMEJYw=',
  '$context.extendedRequestId': 'JkHgnhM4IAMEJYw=',
  '$context.identity.sourceIp': '198.51.100.123',
  '$context.identity.userAgent': 'node',
  '$context.requestTime': '01/Jan/2026:12:00:00 +0000',
  '$context.requestTimeEpoch': '1767268800123',
  '$context.routeKey': 'POST /v1/events',
  '$context.httpMethod': 'POST',
  '$context.path': '/v1/events',
  '$context.protocol': 'HTTP/1.1',
  '$context.status': '202',
  '$context.responseLength': '92',
  '$context.responseLatency': '25',
  '$context.integrationLatency': '23',
  '$context.integrationStatus': '202',
  '$context.integrationErrorMessage': '-',
  '$context.error.message': '-',
};

export class UnknownAccessLogVariableError extends Error {
  override name = 'UnknownAccessLogVariableError';
}

/**
 * The access log line of the workload's request in `format`. A variable without a typical value
 * here throws, so a field added to the format cannot go unpriced.
 */
export const accessLogLine = (format: string): string =>
  format.replace(/\$context\.[A-Za-z0-9_.]*[A-Za-z0-9_]/g, (variable) => {
    const value = ACCESS_LOG_VALUES[variable];
    if (value === undefined) throw new UnknownAccessLogVariableError(`no typical value for ${variable} of the access log format`);
    return value;
  });

/** Bytes a log group is billed for `lines` messages of `bytes` in all. */
const billed = (bytes: number, lines: number): number => bytes + lines * LOG_EVENT_OVERHEAD_BYTES;
const linesBytes = (lines: readonly string[]): number => billed(lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0), lines.length);

export interface LogBytes {
  /** The functions' own lines: application and embedded-metric lines. */
  function: number;
  /** Lambda's platform records. */
  platform: number;
  /** The API stage's access log. */
  access: number;
}

export class UnknownFunctionLoggingError extends Error {
  override name = 'UnknownFunctionLoggingError';
}

/** Billed log bytes of a run: the functions' usage as measured, and `apiRequests` requests. */
export const logBytesOf = (functions: ReadonlyMap<string, FunctionUsage>, logging: DeployedLogging, apiRequests: number): LogBytes => {
  let fn = 0;
  let platform = 0;
  for (const [name, usage] of functions) {
    const settings = logging.functions.get(name);
    if (settings === undefined) throw new UnknownFunctionLoggingError(`the template has no function ${name}`);
    // Each line's newline ends the log event; it is not part of the billed message.
    fn += billed(usage.outputBytes - usage.outputLines, usage.outputLines);
    platform += usage.invocations * linesBytes(platformLinesPerInvocation(settings));
  }
  const access = logging.accessLogFormat === undefined ? 0 : apiRequests * linesBytes([accessLogLine(logging.accessLogFormat)]);
  return { function: fn, platform, access };
};

/** The system log levels of the functions, for a label: `WARN`, or `INFO, WARN` when they differ. */
export const systemLogLevels = (logging: DeployedLogging): string =>
  [...new Set([...logging.functions.values()].map((settings) => (settings.format === 'Text' ? 'text format' : settings.systemLogLevel)))].sort().join(', ');
