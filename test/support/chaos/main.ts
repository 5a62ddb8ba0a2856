import { parseArgs } from 'node:util';
import { localAwsEnvironment, startEmulators } from '../../../local/emulators';
import { useLocalEndpoints } from '../emulators';
import { formatChaos } from './format-chaos';
import { CHAOS_DEFAULTS, runChaos, type ChaosOptions } from './run-chaos';

/**
 * `npm run chaos`: starts the emulators, runs the pipeline under chaos (run-chaos.ts), prints the
 * reconciliation as Markdown tables, and exits 1 unless every check passed.
 *
 *   npm run chaos -- --events 1000 --subscriptions 10 --seed 7
 */

const USAGE = `usage: npm run chaos -- [options]
  --events N            events to publish (default ${CHAOS_DEFAULTS.events})
  --subscriptions M     subscriptions, each with a receiver of its own (default ${CHAOS_DEFAULTS.subscriptions})
  --seed S              seed of every random draw (default ${CHAOS_DEFAULTS.seed})
  --schedule a,b,...    retry delays in seconds (default ${CHAOS_DEFAULTS.retrySchedule.join(',')})
  --timeout-ms T        time for one delivery attempt (default ${CHAOS_DEFAULTS.attemptTimeoutMs})
  --function-timeout-s S delivery function timeout, seconds (default ${CHAOS_DEFAULTS.functionTimeoutMs / 1000})
  --visibility-s V      delivery queue visibility timeout, seconds (default ${CHAOS_DEFAULTS.visibilityTimeoutSeconds})
  --concurrency C       delivery invocations at once (default ${CHAOS_DEFAULTS.concurrency})
  --crash-share P       share of delivery invocations killed mid-batch (default ${CHAOS_DEFAULTS.crashShare})
  --min-crashes K       crashes the run makes sure of (default ${CHAOS_DEFAULTS.minCrashes})
  --aws-fault-share P   share of the delivery function's AWS calls failing (default ${CHAOS_DEFAULTS.awsFaultShare})
  --gone N              receivers that turn 410 Gone partway (default ${CHAOS_DEFAULTS.goneReceivers})
  --circuit-threshold K attempts without an answer that open an endpoint's circuit (default: the stack's)
  --budget-s B          time the run may take to drain (default ${CHAOS_DEFAULTS.settleTimeoutMs / 1000})
Environment: CHAOS_LOG_LEVEL=ERROR (or INFO, DEBUG) shows the delivery function's own log lines.`;

const number = (value: string | undefined, name: string, fallback: number): number => {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--${name} must be a non-negative number, got "${value}"`);
  return parsed;
};

const readOptions = (args: string[]): Partial<ChaosOptions> | undefined => {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string' },
      subscriptions: { type: 'string' },
      seed: { type: 'string' },
      schedule: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'function-timeout-s': { type: 'string' },
      'visibility-s': { type: 'string' },
      concurrency: { type: 'string' },
      'crash-share': { type: 'string' },
      'min-crashes': { type: 'string' },
      'circuit-threshold': { type: 'string' },
      'aws-fault-share': { type: 'string' },
      gone: { type: 'string' },
      'budget-s': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return undefined;
  const d = CHAOS_DEFAULTS;
  return {
    events: number(values.events, 'events', d.events),
    subscriptions: number(values.subscriptions, 'subscriptions', d.subscriptions),
    seed: number(values.seed, 'seed', d.seed),
    retrySchedule: values.schedule === undefined ? d.retrySchedule : values.schedule.split(',').map((s) => number(s.trim(), 'schedule', 0)),
    attemptTimeoutMs: number(values['timeout-ms'], 'timeout-ms', d.attemptTimeoutMs),
    functionTimeoutMs: number(values['function-timeout-s'], 'function-timeout-s', d.functionTimeoutMs / 1000) * 1000,
    visibilityTimeoutSeconds: number(values['visibility-s'], 'visibility-s', d.visibilityTimeoutSeconds),
    concurrency: number(values.concurrency, 'concurrency', d.concurrency),
    crashShare: number(values['crash-share'], 'crash-share', d.crashShare),
    minCrashes: number(values['min-crashes'], 'min-crashes', d.minCrashes),
    circuitBreakerThreshold:
      values['circuit-threshold'] === undefined ? d.circuitBreakerThreshold : number(values['circuit-threshold'], 'circuit-threshold', 0),
    awsFaultShare: number(values['aws-fault-share'], 'aws-fault-share', d.awsFaultShare),
    goneReceivers: number(values.gone, 'gone', d.goneReceivers),
    settleTimeoutMs: number(values['budget-s'], 'budget-s', d.settleTimeoutMs / 1000) * 1000,
  };
};

const main = async (): Promise<number> => {
  const options = readOptions(process.argv.slice(2));
  if (options === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const emulators = await startEmulators({ log: (line) => process.stderr.write(`${line}\n`) });
  try {
    // Code that builds its own SDK clients (the handlers) reaches the emulators, never an account.
    Object.assign(process.env, localAwsEnvironment(emulators));
    useLocalEndpoints(emulators);
    const result = await runChaos({
      ...options,
      progress: (line) => process.stderr.write(`${line}\n`),
      ...(process.env.CHAOS_LOG_LEVEL ? { functionLog: (line: string) => process.stderr.write(`${line}\n`) } : {}),
    });
    process.stdout.write(`${formatChaos(result)}\n`);
    return result.ok ? 0 : 1;
  } finally {
    await emulators.stop();
  }
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n${USAGE}\n`);
    process.exit(2);
  },
);
