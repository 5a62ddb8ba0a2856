import { defaultMaxListeners, setMaxListeners } from 'node:events';
import type { Context } from 'aws-lambda';

export interface InvocationDeadline {
  /** Fires `earlyMs` before the invocation's deadline. */
  readonly signal: AbortSignal;
  /** Stops the timer; call when the invocation ends. */
  dispose(): void;
}

/**
 * A signal of this invocation's own that fires `earlyMs` before its deadline, so work in flight
 * (outbound requests) can stop and be recorded before Lambda ends the invocation.
 *
 * Not middy's signal: middy keeps one AbortController per module, which is right for Lambda
 * (one invocation per execution environment at a time) but lets one invocation's early timeout
 * abort every other's where invocations share a module, as the local runtime's do.
 */
export const invocationDeadline = (
  context: Pick<Context, 'getRemainingTimeInMillis'>,
  earlyMs: number,
  listeners = defaultMaxListeners,
): InvocationDeadline => {
  const controller = new AbortController();
  // Every delivery in flight listens on the signal: more than Node's default without a leak.
  setMaxListeners(Math.max(defaultMaxListeners, listeners), controller.signal);
  const timer = setTimeout(() => controller.abort(), Math.max(0, context.getRemainingTimeInMillis() - earlyMs));
  return { signal: controller.signal, dispose: () => clearTimeout(timer) };
};
