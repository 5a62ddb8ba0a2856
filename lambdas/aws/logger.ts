import { LogFormatter, Logger, LogItem, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { DEFAULTS, POWERTOOLS_ENV } from '../core/telemetry-names';

/** The `service` of log lines and metrics: POWERTOOLS_SERVICE_NAME, set by the construct. */
export const serviceName = (): string => process.env[POWERTOOLS_ENV.serviceName] || DEFAULTS.serviceName;

/** Lambda's trace header of the current invocation; `Sampled=1` when X-Ray records it. */
const TRACE_HEADER = '_X_AMZN_TRACE_ID';

/**
 * Powertools' default line without what only costs ingestion here: `sampling_rate` (always 0,
 * whole-invocation debug sampling is not used) and the X-Ray trace id of invocations X-Ray does
 * not record (Lambda hands every invocation a trace header, sampled or not, and the functions run
 * without active tracing; the id of an unsampled trace finds nothing). About 75 bytes a line.
 */
export class CompactLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const sampled = /(^|;)Sampled=1(;|$)/.test(process.env[TRACE_HEADER] ?? '');
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        ...(sampled ? { xray_trace_id: attributes.xRayTraceId } : {}),
      },
    }).addAttributes(additionalLogAttributes);
  }
}

/** One logger per function, named by its role; level and service name come from Powertools' own env. */
export const createLogger = (role: string): Logger =>
  new Logger({ serviceName: serviceName(), persistentKeys: { function: role }, logFormatter: new CompactLogFormatter() });

/** Whether DEBUG lines are written: a line that would be dropped need not be built. */
export const debugEnabled = (logger: Logger): boolean => logger.level <= LogLevelThreshold.DEBUG;

/**
 * The level of a line sampled like successful deliveries: INFO for a `sampleRate` share; for the
 * rest DEBUG where DEBUG lines are written, else none, so a line that would be dropped is not built.
 */
export const sampledLevel = (logger: Logger, sampleRate: number, random: () => number): 'info' | 'debug' | undefined =>
  random() < sampleRate ? 'info' : debugEnabled(logger) ? 'debug' : undefined;
