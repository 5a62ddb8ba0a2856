import { describe, expect, it } from 'vitest';
import {
  accessLogLine,
  deployedLogging,
  LOG_EVENT_OVERHEAD_BYTES,
  logBytesOf,
  platformLinesPerInvocation,
  systemLogLevels,
  UnexpectedTemplateError,
  UnknownAccessLogVariableError,
  UnknownFunctionLoggingError,
  type DeployedLogging,
} from '../../../bench/log-ingestion';
import type { FunctionUsage } from '../../../bench/pipeline/aws-meter';
import { synthTemplate } from '../../../local/template/synth';

const json = (systemLogLevel: string) => ({ format: 'JSON' as const, applicationLogLevel: 'INFO', systemLogLevel });
const typesOf = (lines: readonly string[]) => lines.map((line) => (JSON.parse(line) as { type: string }).type);
const bytes = (line: string) => Buffer.byteLength(line);

const ACCESS_FORMAT = JSON.stringify({ requestId: '$context.requestId', route: '$context.httpMethod $context.path', status: '$context.status' });

/** A template with one function (construct id `IngestFunction`) and, optionally, an access-logged stage. */
const template = (loggingConfig: object, ...formats: string[]) => ({
  Resources: {
    IngestFunctionA1B2C3: {
      Type: 'AWS::Lambda::Function',
      Properties: { Handler: 'index.handler', LoggingConfig: loggingConfig },
      Metadata: { 'aws:cdk:path': 'Stack/WebhookFanout/IngestFunction/Resource' },
    },
    ...Object.fromEntries(
      formats.map((Format, i) => [`Stage${i}`, { Type: 'AWS::ApiGatewayV2::Stage', Properties: { AccessLogSettings: { DestinationArn: 'arn', Format } } }]),
    ),
  },
});

describe('Function: platformLinesPerInvocation', () => {
  it('writes nothing for a successful invocation at WARN, start and report at INFO, runtimeDone too at DEBUG', () => {
    expect(platformLinesPerInvocation(json('WARN'))).toEqual([]);
    expect(typesOf(platformLinesPerInvocation(json('INFO')))).toEqual(['platform.start', 'platform.report']);
    expect(typesOf(platformLinesPerInvocation(json('DEBUG')))).toEqual(['platform.start', 'platform.runtimeDone', 'platform.report']);
  });

  it('writes START, END and REPORT in the text format, where no level applies', () => {
    const lines = platformLinesPerInvocation({ format: 'Text', applicationLogLevel: 'INFO', systemLogLevel: 'WARN' });

    expect(lines.map((line) => line.split(' ')[0])).toEqual(['START', 'END', 'REPORT']);
  });
});

describe('Function: accessLogLine', () => {
  it("fills the format with the workload's request", () => {
    expect(JSON.parse(accessLogLine(ACCESS_FORMAT))).toEqual({ requestId: expect.any(String), route: 'POST /v1/events', status: '202' });
  });

  it('refuses a variable it has no typical value for, rather than pricing it at nothing', () => {
    expect(() => accessLogLine('{"agent":"$context.domainPrefix"}')).toThrow(UnknownAccessLogVariableError);
  });
});

describe('Function: deployedLogging', () => {
  it("reads each function's log settings by its construct id, and the stage's access log format", () => {
    // Act
    const logging = deployedLogging(template({ LogFormat: 'JSON', SystemLogLevel: 'WARN' }, ACCESS_FORMAT));

    // Assess
    expect(logging.functions.get('IngestFunction')).toEqual(json('WARN'));
    expect(logging.accessLogFormat).toBe(ACCESS_FORMAT);
    expect(systemLogLevels(logging)).toBe('WARN');
  });

  it("prices the construct's own template: every function at WARN, an access line of what an operator needs", () => {
    // Act
    const logging = deployedLogging(synthTemplate());

    // Assess
    expect([...logging.functions.keys()].sort()).toEqual(['ApiFunction', 'DeliveryFunction', 'FanoutFunction', 'IngestFunction']);
    expect(systemLogLevels(logging)).toBe('WARN');
    expect(Object.keys(JSON.parse(accessLogLine(logging.accessLogFormat!)) as object)).toEqual(['requestId', 'ip', 'time', 'route', 'status', 'latency', 'integrationError']);
  });

  it('has no access log format when no stage writes one, and refuses two stages that do', () => {
    expect(deployedLogging(template({})).accessLogFormat).toBeUndefined();
    expect(() => deployedLogging(template({}, ACCESS_FORMAT, ACCESS_FORMAT))).toThrow(UnexpectedTemplateError);
  });
});

describe('Function: logBytesOf', () => {
  const usage = (overrides: Partial<FunctionUsage>): FunctionUsage => ({ invocations: 0, durationsMs: [], outputBytes: 0, outputLines: 0, ...overrides });
  const logging = (systemLogLevel: string): DeployedLogging => ({ functions: new Map([['IngestFunction', json(systemLogLevel)]]), accessLogFormat: ACCESS_FORMAT });

  it('bills each written line without its newline plus 26 bytes, the admitted platform records per invocation, and an access line per request', () => {
    // Prepare
    const functions = new Map([['IngestFunction', usage({ invocations: 4, outputBytes: 1000, outputLines: 10 })]]);
    const platform = platformLinesPerInvocation(json('INFO'));

    // Act
    const atInfo = logBytesOf(functions, logging('INFO'), 3);
    const atWarn = logBytesOf(functions, logging('WARN'), 3);

    // Assess
    expect(atInfo.function).toBe(1000 - 10 + 10 * LOG_EVENT_OVERHEAD_BYTES);
    expect(atInfo.platform).toBe(4 * platform.reduce((sum, line) => sum + bytes(line) + LOG_EVENT_OVERHEAD_BYTES, 0));
    expect(atInfo.access).toBe(3 * (bytes(accessLogLine(ACCESS_FORMAT)) + LOG_EVENT_OVERHEAD_BYTES));
    expect(atWarn).toEqual({ ...atInfo, platform: 0 });
  });

  it('refuses a function the template does not describe', () => {
    expect(() => logBytesOf(new Map([['Other', usage({})]]), logging('WARN'), 1)).toThrow(UnknownFunctionLoggingError);
  });
});
