import { constants } from 'node:os';
import { FunctionInvocationError } from './lambda/host';
import { LocalConfigError, readLocalConfig } from './local-config';
import { assertPortFree, PortInUseError } from './api-gateway/server';
import { startLocalRuntime } from './runtime';
import { removeRuntimeState, writeRuntimeState } from '../admin/local-runtime-state';

/**
 * `npm start`: the whole pipeline on this machine. Prints `API key: <key>` and
 * `Listening on http://127.0.0.1:<port>`, then one line per delivery attempt; Ctrl-C stops it all.
 */
const main = async (): Promise<void> => {
  // Ctrl-C is handled from the first moment, before any emulator process exists. A signal that
  // came with no listener would end this process at once, and a JVM spawned an instant earlier,
  // before its guard was in place, would outlive it. With a listener the signal waits for the event
  // loop, by which time every spawned child is guarded.
  let runtime: Awaited<ReturnType<typeof startLocalRuntime>> | undefined;
  let stopping = false;
  const shutdown = (signal: 'SIGINT' | 'SIGTERM') => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping...\n`);
    // Still starting: exiting runs the guards' exit hooks, which kill the emulator processes.
    if (runtime === undefined) process.exit(128 + constants.signals[signal]);
    removeRuntimeState();
    runtime.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  // The SDK's notice about future Node.js versions says nothing about this pipeline.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const config = readLocalConfig(process.env);
  await assertPortFree(config.port);
  const started = Date.now();
  process.stderr.write('Starting the local pipeline (synth, emulators, functions)...\n');
  runtime = await startLocalRuntime({
    config,
    log: (line) => process.stdout.write(line + '\n'),
    notice: (line) => process.stderr.write(line + '\n'),
  });
  // Only this long-running pipeline announces itself to the CLI's `--local` (not the demo, not the bench).
  writeRuntimeState(runtime.state);
  process.stdout.write(`API key: ${runtime.apiKey}\n`);
  process.stdout.write(`Listening on http://127.0.0.1:${runtime.port}\n`);
  process.stderr.write(`Emulators: SQS ${runtime.emulators.sqsEndpoint}, DynamoDB ${runtime.emulators.dynamoEndpoint}\n`);
  process.stderr.write(`Ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${runtime.emulators.dynamoKind}). Ctrl-C to stop.\n`);
};

main().catch((error: unknown) => {
  // A function's configuration error (a bad WEBHOOK_* value) is the user's to fix: a stack trace
  // would bury the message.
  const isConfigError = error instanceof FunctionInvocationError && error.causeName === 'ConfigError';
  if (error instanceof LocalConfigError || error instanceof PortInUseError || isConfigError) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
  } else {
    process.stderr.write(`error: the local pipeline could not start: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
