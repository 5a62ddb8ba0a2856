import { spawn, type ChildProcess } from 'node:child_process';

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs in a separate Node process and holds the read end of a pipe from the parent. The kernel
 * closes that pipe however the parent dies, SIGKILL included, which no in-process handler can
 * see; on end-of-file the watchdog kills the guarded child.
 */
const WATCHDOG_SOURCE = `
const pid = Number(process.argv[1]);
process.stdin.on('end', () => {
  try { process.kill(pid, 'SIGKILL'); } catch {}
  process.exit(0);
});
process.stdin.on('error', () => {});
process.stdin.resume();
`;

export interface ChildGuard {
  /** Stops guarding (the child is being stopped or has exited); idempotent. */
  release(): void;
}

/**
 * Spawns an emulator child process that never outlives this process: on a normal exit, on
 * SIGINT/SIGTERM/SIGHUP (then the signal's default action still happens when nobody else
 * handles it) and, through a watchdog process, on SIGKILL. The signal listeners are in place
 * before the child is spawned: a signal without a listener would end this process at once, and a
 * child spawned an instant before would be left running. With a listener the signal waits for the
 * event loop, by which time the child is known.
 */
export function spawnGuarded(spawnChild: () => ChildProcess): { child: ChildProcess; guard: ChildGuard } {
  let child: ChildProcess | undefined;
  let watchdog: ChildProcess | undefined;

  const killChild = (): void => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    killChild();
    release();
    // Our listener suppressed the default action; restore it when no one else will act.
    if (process.listenerCount(signal) === 0) {
      process.kill(process.pid, signal);
    }
  };

  let released = false;
  function release(): void {
    if (released) return;
    released = true;
    process.off('exit', killChild);
    for (const signal of FORWARDED_SIGNALS) {
      process.off(signal, onSignal);
    }
    child?.off('exit', release);
    if (watchdog !== undefined && watchdog.exitCode === null && watchdog.signalCode === null) {
      watchdog.kill('SIGKILL');
    }
  }

  process.on('exit', killChild);
  for (const signal of FORWARDED_SIGNALS) {
    process.on(signal, onSignal);
  }
  try {
    child = spawnChild();
  } catch (error) {
    release();
    throw error;
  }
  if (child.pid === undefined) {
    // Not started (the 'error' event says why): there is nothing to guard.
    release();
    return { child, guard: { release } };
  }
  watchdog = startWatchdog(child.pid);
  // Once the child is gone its pid may be reused: the watchdog must not outlive it.
  child.once('exit', release);
  return { child, guard: { release } };
}

function startWatchdog(childPid: number): ChildProcess {
  const watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, String(childPid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.on('error', () => undefined);
  watchdog.stdin?.on('error', () => undefined);
  // Neither the watchdog nor its pipe may keep the parent's event loop alive.
  watchdog.unref();
  const watchdogStdin: unknown = watchdog.stdin;
  if (hasUnref(watchdogStdin)) {
    watchdogStdin.unref();
  }
  return watchdog;
}

function hasUnref(value: unknown): value is { unref(): void } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'unref' in value &&
    typeof (value as { unref: unknown }).unref === 'function'
  );
}
