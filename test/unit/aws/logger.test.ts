import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, debugEnabled, sampledLevel } from '../../../lambdas/aws/logger';

const TRACE_ROOT = '1-5759e988-bd862e3fe1be46a994272793';

/** The lines a fresh logger writes (warnings and errors go to stderr) while `write` runs. */
const linesWritten = (write: (logger: ReturnType<typeof createLogger>) => void): Array<Record<string, unknown>> => {
  const chunks: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    }),
  );
  try {
    write(createLogger('ingest'));
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return chunks.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
};

describe('Function: createLogger', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('writes level, message, time, service, role and the fields given, without the sampling rate or an unsampled trace id', () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    vi.stubEnv('_X_AMZN_TRACE_ID', `Root=${TRACE_ROOT};Parent=53995c3f42cd8ad8;Sampled=0`);

    // Act
    const [line] = linesWritten((logger) => logger.info('event accepted', { eventId: 'evt_1' }));

    // Assess
    expect(line).toEqual({
      level: 'INFO',
      message: 'event accepted',
      timestamp: expect.any(String),
      service: 'webhook-fanout',
      function: 'ingest',
      eventId: 'evt_1',
    });
  });

  it('keeps the trace id of an invocation X-Ray records', () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    vi.stubEnv('_X_AMZN_TRACE_ID', `Root=${TRACE_ROOT};Parent=53995c3f42cd8ad8;Sampled=1`);

    // Act
    const [line] = linesWritten((logger) => logger.warn('slow'));

    // Assess
    expect(line).toMatchObject({ level: 'WARN', message: 'slow', xray_trace_id: TRACE_ROOT });
  });

  it('still writes errors with their name, message and stack', () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');

    // Act
    const [line] = linesWritten((logger) => logger.error('unhandled error', { error: new TypeError('boom') }));

    // Assess
    expect(line).toMatchObject({ level: 'ERROR', error: { name: 'TypeError', message: 'boom', stack: expect.any(String) } });
  });
});

describe('Function: debugEnabled', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each([
    ['TRACE', true],
    ['DEBUG', true],
    ['INFO', false],
    ['WARN', false],
  ])('says whether a logger at %s writes DEBUG lines: %s', (level, expected) => {
    // Prepare
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', level);

    // Act
    const enabled = debugEnabled(createLogger('delivery'));

    // Assess
    expect(enabled).toBe(expected);
  });
});

describe('Function: sampledLevel', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each([
    ['INFO', 0.01, 0.005, 'info'],
    ['INFO', 0.01, 0.5, undefined],
    ['DEBUG', 0.01, 0.5, 'debug'],
    ['INFO', 1, 0.999, 'info'],
    ['DEBUG', 0, 0, 'debug'],
  ] as const)('at %s with a rate of %s and a draw of %s writes at %s', (level, rate, draw, expected) => {
    // Prepare
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', level);

    // Act
    const chosen = sampledLevel(createLogger('ingest'), rate, () => draw);

    // Assess
    expect(chosen).toBe(expected);
  });
});
