import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../lambdas/core/api-keys';
import { freePort } from '../../local/free-ports';
import {
  call,
  dynamoDbLocalProcesses,
  RuntimeProcess,
  startRuntime,
  STARTUP_BOUND_MS,
  STOP_BOUND_MS,
  waitFor,
  type StartedRuntime,
} from './local-runtime-process';

/** A Node.js stack frame, as an uncaught error or `error.stack` would print it. */
const STACK_FRAME = /^\s+at .+/m;

/** Each test starts a runtime: it may take the whole start-up bound, and the stop bound after it. */
const RUNTIME_TEST_TIMEOUT_MS = STARTUP_BOUND_MS + STOP_BOUND_MS + 10_000;

/** Lines starting with `error:` in some output. */
const errorLines = (output: string) => output.split('\n').filter((line) => line.startsWith('error:'));

/**
 * How `npm start` starts and stops: the env contract at start (LOCAL_API_KEY, PORT), one-line
 * errors for a wrong configuration, and nothing left running once it has stopped. Unlike the other
 * e2e files this one starts several runtimes, one after the other, because starting is the subject.
 */
describe('Local runtime (npm start): start-up contract and clean shutdown', () => {
  const started: RuntimeProcess[] = [];
  const blockers: Server[] = [];

  afterEach(async () => {
    // Whatever a failed test left behind is stopped here; a passing test has stopped it already.
    await Promise.all(started.splice(0).map((runtime) => runtime.stop()));
    await Promise.all(blockers.splice(0).map((server) => new Promise((done) => server.close(done))));
  });

  const track = <T extends RuntimeProcess | StartedRuntime>(runtime: T): T => {
    started.push(runtime instanceof RuntimeProcess ? runtime : runtime.process);
    return runtime;
  };

  it('uses LOCAL_API_KEY as the local key and LOCAL_API_KEYS for other tenants, kept apart; SIGTERM then stops everything', async () => {
    // Prepare
    const { key } = generateApiKey();
    const acmeKey = generateApiKey().key;
    const globexKey = generateApiKey().key;

    // Act
    const runtime = track(await startRuntime({ LOCAL_API_KEY: key, LOCAL_API_KEYS: `acme:${acmeKey},globex:${globexKey}` }));
    const dynamoPort = Number(new URL(runtime.dynamoEndpoint).port);
    const dynamoWhileRunning = dynamoDbLocalProcesses(dynamoPort);
    const listed = await call(runtime.baseUrl, 'GET', '/v1/subscriptions', { key });
    const acmeSubscription = await call<{ id: string }>(runtime.baseUrl, 'POST', '/v1/subscriptions', {
      key: acmeKey,
      body: { url: 'http://127.0.0.1:9/hook', eventTypes: ['*'] },
    });
    const fromGlobex = await call(runtime.baseUrl, 'GET', `/v1/subscriptions/${acmeSubscription.body.id}`, { key: globexKey });
    const fromLocal = await call<{ items: unknown[] }>(runtime.baseUrl, 'GET', '/v1/subscriptions', { key });
    const exit = await runtime.process.stop();

    // Assess
    expect(acmeSubscription.status, acmeSubscription.text).toBe(201);
    expect(fromGlobex.status).toBe(404);
    expect(fromLocal.body.items).toEqual([]);
    expect(runtime.apiKey).toBe(key);
    expect(runtime.process.stdout).toContain(`API key: ${key}\n`);
    expect(listed.status, listed.text).toBe(200);
    expect(dynamoWhileRunning, 'the runtime runs DynamoDB Local on the port it reports').toHaveLength(1);
    expect(exit, runtime.process.describe()).toEqual({ code: 0, signal: null, forced: false });
    // DynamoDB Local is stopped (and awaited) before the runtime exits: gone at once, not eventually.
    expect(dynamoDbLocalProcesses(dynamoPort)).toEqual([]);
    expect(runtime.process.leftovers().filter((process) => process.args.includes('DynamoDBLocal'))).toEqual([]);
    expect(await runtime.process.leftoversAfter()).toEqual([]);
    expect(runtime.process.stderr).not.toMatch(STACK_FRAME);
  }, RUNTIME_TEST_TIMEOUT_MS);

  it('refuses a malformed LOCAL_API_KEY with a one-line error and a non-zero exit, before starting anything', async () => {
    // Prepare
    const runtime = track(await RuntimeProcess.spawn({ LOCAL_API_KEY: 'garbage' }));

    // Act
    const exit = await runtime.waitForExit(STARTUP_BOUND_MS);

    // Assess
    expect(exit.code, runtime.describe()).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(runtime.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(errorLines(runtime.stderr)).toHaveLength(1);
    expect(errorLines(runtime.stderr)[0]).toMatch(/^error: LOCAL_API_KEY \S/);
    expect(runtime.stderr).not.toMatch(STACK_FRAME);
    expect(runtime.stderr).not.toContain('garbage'); // a secret-shaped value is not echoed back
    expect(runtime.stdout).not.toContain('API key:');
    expect(runtime.stdout).not.toContain('Listening on');
    expect(await runtime.leftoversAfter()).toEqual([]);
  }, RUNTIME_TEST_TIMEOUT_MS);

  it("refuses a function setting it cannot parse with the function's one-line message, leaving nothing behind", async () => {
    // Prepare
    const runtime = track(await RuntimeProcess.spawn({ WEBHOOK_RETRY_SCHEDULE: '5s,1m' }));

    // Act
    const exit = await runtime.waitForExit(STARTUP_BOUND_MS);

    // Assess
    expect(exit.code, runtime.describe()).toBe(1);
    expect(errorLines(runtime.stderr)).toHaveLength(1);
    expect(errorLines(runtime.stderr)[0]).toMatch(/^error: \w+Function failed: ConfigError: WEBHOOK_RETRY_SCHEDULE is invalid: /);
    expect(runtime.stderr).not.toMatch(STACK_FRAME);
    expect(runtime.stdout).not.toContain('Listening on');
    expect(await runtime.leftoversAfter()).toEqual([]);
  }, RUNTIME_TEST_TIMEOUT_MS);

  it('exits non-zero with "already in use" and no stack trace when PORT is taken, leaving no emulator behind', async () => {
    // Prepare
    const port = await freePort();
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((done) => blocker.listen(port, '127.0.0.1', done));
    const runtime = track(await RuntimeProcess.spawn({ PORT: String(port) }));

    // Act
    const exit = await runtime.waitForExit(STARTUP_BOUND_MS);

    // Assess
    expect(exit.code, runtime.describe()).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(errorLines(runtime.stderr)).toHaveLength(1);
    expect(errorLines(runtime.stderr)[0]).toContain('already in use');
    expect(errorLines(runtime.stderr)[0]).toContain(String(port));
    expect(runtime.stderr).not.toMatch(STACK_FRAME);
    expect(runtime.stdout).not.toContain('Listening on');
    expect(runtime.leftovers().filter((process) => process.args.includes('DynamoDBLocal'))).toEqual([]);
    expect(await runtime.leftoversAfter()).toEqual([]);
  }, RUNTIME_TEST_TIMEOUT_MS);

  it.each(['SIGTERM', 'SIGINT'] as const)('leaves no process behind when %s comes while DynamoDB Local is still booting', async (signal) => {
    // Prepare
    const runtime = track(await RuntimeProcess.spawn());
    // Polled every millisecond, so the signal often lands just after the JVM starts, before the
    // runtime has done anything else: the instant a child could be left unguarded.
    await waitFor(
      () => {
        if (runtime.hasExited) throw new Error(`the runtime exited before DynamoDB Local started\n${runtime.describe()}`);
        return runtime.leftovers().some((process) => process.args.includes('DynamoDBLocal'));
      },
      { timeoutMs: STARTUP_BOUND_MS, intervalMs: 1, description: () => `DynamoDB Local to start\n${runtime.describe()}` },
    );

    // Act
    const exit = await runtime.stop(STOP_BOUND_MS, signal);

    // Assess
    expect(exit.forced, runtime.describe()).toBe(false);
    expect(runtime.stderr).not.toMatch(STACK_FRAME);
    // The JVM is killed (SIGKILL) rather than stopped here, so it may outlive the runtime briefly.
    expect(await runtime.leftoversAfter()).toEqual([]);
  }, RUNTIME_TEST_TIMEOUT_MS);
});
