import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/free-ports';
import { PROJECT_ROOT, START_ARGS, startRuntime, STARTUP_BOUND_MS, waitFor, type StartedRuntime } from './local-runtime-process';
import { isInterleaving, isNoJavaNotice, lineShape, readQuickStart } from './readme-quick-start';

const run = promisify(execFile);

const linesOf = (text: string): string[] => text.split('\n').filter((line) => line !== '');

const accepts = (port: number): Promise<boolean> =>
  new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });

/**
 * The README's quick start, run as written: `npm start` (the same entry point, on a free port),
 * the receiver command and the curl commands parsed from README.md, with only the ports and the
 * printed key put in. What they print must have the shape of the README's samples.
 */
describe('README quick start: its commands print what it shows', () => {
  const quickStart = readQuickStart();
  let runtime: StartedRuntime | undefined;
  let receiver: ChildProcess | undefined;

  beforeAll(async () => {
    runtime = await startRuntime();
  }, STARTUP_BOUND_MS + 10_000);

  afterAll(async () => {
    receiver?.kill();
    if (runtime !== undefined) expect((await runtime.process.stop()).code).toBe(0);
  });

  it('is what npm start runs', () => {
    // Assess: the runtime these tests start is `npm start`'s entry point
    const scripts = (JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toBe(['node', ...START_ARGS].join(' '));
  });

  it('starts, subscribes a receiver, publishes, and prints the sample outputs', async () => {
    // Prepare: the runtime has printed everything it prints on start
    const started = runtime!;
    await waitFor(() => started.process.stderr.includes('Ready in '), { description: () => started.process.describe() });
    const startStdout = linesOf(started.process.stdout);
    const startStderr = linesOf(started.process.stderr).filter((line) => !isNoJavaNotice(line));
    const receiverPort = await freePort();
    const forThisRun = (text: string) => text.replace(/\b3000\b/g, String(started.port)).replace(/\b4000\b/g, String(receiverPort));
    let received = '';
    receiver = spawn('bash', ['-c', `exec ${forThisRun(quickStart.receiverCommand)}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    receiver.stdout!.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    await waitFor(() => accepts(receiverPort), { description: 'the receiver listening' });
    const script = forThisRun(quickStart.publishScript).replace(/^KEY=\S+/m, `KEY=${started.apiKey}`);

    // Act
    const curl = await run('bash', ['-c', script]);
    const activity = await waitFor(
      () => {
        const lines = linesOf(started.process.stdout).slice(startStdout.length);
        return lines.some((line) => / delivered /.test(line)) ? lines : undefined;
      },
      { description: () => `a delivered line\n${started.process.describe()}` },
    );
    await waitFor(() => received.includes('\n'), { description: 'the receiver printing the event' });

    // Assess
    const startShown = quickStart.startOutput.map(lineShape);
    expect(
      isInterleaving(startShown, startStdout.map(lineShape), startStderr.map(lineShape)),
      `README:\n${startShown.join('\n')}\nprinted on stdout:\n${startStdout.map(lineShape).join('\n')}\nand on stderr:\n${startStderr.map(lineShape).join('\n')}`,
    ).toBe(true);
    expect(linesOf(curl.stdout).map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ id: expect.stringMatching(/^sub_/), secret: expect.stringMatching(/^whsec_/) }),
      expect.objectContaining({ id: expect.stringMatching(/^evt_/), type: 'order.created' }),
    ]);
    expect(linesOf(received).map(lineShape)).toEqual(quickStart.receiverOutput.map(lineShape));
    expect(activity.map(lineShape)).toEqual(quickStart.activityOutput.map(lineShape));
  });
});
