/**
 * Per-subscription payload transformations: a JSONata expression that reshapes the body an
 * endpoint receives (docs/transformations.md). JSONata is loaded on the first use, so a function
 * whose subscriptions have no transformation never evaluates it (docs/decisions.md).
 *
 * Nothing a user writes runs as JavaScript: JSONata is an expression language interpreted here,
 * with its built-in functions only (none is registered), under guards on time, depth, sequence
 * length and output size.
 */
import type jsonataType from 'jsonata';

/** Characters a transformation may have. */
export const MAX_TRANSFORMATION_LENGTH = 4096;

export interface TransformationGuards {
  /** Wall time of one evaluation. */
  timeoutMs: number;
  /** Nested evaluations (recursion, nesting) at once. */
  maxDepth: number;
  /** Items in one sequence or range. */
  maxSequence: number;
  /** Bytes of the serialized result. */
  maxOutputBytes: number;
}

export const TRANSFORMATION_GUARDS: TransformationGuards = {
  timeoutMs: 100,
  maxDepth: 100,
  maxSequence: 100_000,
  maxOutputBytes: 256 * 1024,
};

/** What a subscription's transformation reads: the body it would otherwise receive, as a value. */
export interface TransformationInput {
  type: string;
  timestamp: string;
  data: unknown;
}

export type TransformationResult =
  | { kind: 'body'; body: string }
  /** The expression evaluated to nothing: no request is sent. */
  | { kind: 'cancelled' }
  /** A guard stopped it or it raised an error; `message` says which. */
  | { kind: 'failed'; message: string };

/** An expression that does not compile: JSONata's message and the character position it points at. */
export interface TransformationSyntaxError {
  message: string;
  position?: number;
}

type Jsonata = typeof jsonataType;
let loaded: Promise<Jsonata> | undefined;

/** JSONata, required on the first call only (a bundle keeps it unevaluated until then). */
const loadJsonata = (): Promise<Jsonata> => {
  loaded ??= import('jsonata').then((module) => ((module as { default?: Jsonata }).default ?? (module as unknown as Jsonata)));
  return loaded;
};

interface JsonataError {
  code?: string;
  message?: string;
  position?: number;
}

const asJsonataError = (error: unknown): JsonataError => (typeof error === 'object' && error !== null ? (error as JsonataError) : { message: String(error) });

/** Compiles the expression; undefined when it is valid, else why not. */
export const checkTransformation = async (expression: string): Promise<TransformationSyntaxError | undefined> => {
  const jsonata = await loadJsonata();
  try {
    jsonata(expression);
    return undefined;
  } catch (error) {
    const { message, position } = asJsonataError(error);
    return { message: message ?? 'the transformation does not compile', ...(typeof position === 'number' ? { position } : {}) };
  }
};

/** Thrown by a guard: its message is the failure's. */
class GuardExceeded extends Error {
  override name = 'GuardExceeded';
}

/**
 * Wall time and depth, checked as JSONata enters and leaves each node of the expression: a
 * runaway loop or recursion stops within one step of its limit.
 */
const guardHooks = (guards: TransformationGuards, now: () => number) => {
  const startedAt = now();
  let depth = 0;
  const checkTime = () => {
    if (now() - startedAt > guards.timeoutMs) throw new GuardExceeded(`time limit: ran longer than ${guards.timeoutMs} ms`);
  };
  return {
    entry: () => {
      depth += 1;
      if (depth > guards.maxDepth) throw new GuardExceeded(`depth limit: nested deeper than ${guards.maxDepth} evaluations (runaway recursion?)`);
      checkTime();
    },
    exit: () => {
      depth -= 1;
      checkTime();
    },
  };
};

const failureMessage = (error: unknown, guards: TransformationGuards): string => {
  if (error instanceof GuardExceeded) return error.message;
  const { code, message } = asJsonataError(error);
  if (code === 'D2014' || code === 'D2015') return `sequence limit: a sequence or range of more than ${guards.maxSequence} items`;
  if (error instanceof RangeError) return `memory limit: ${error.message}`;
  return `error${code === undefined ? '' : ` ${code}`}: ${message ?? 'the transformation failed'}`;
};

/** A function in the result is left out, as JSON.stringify leaves out JavaScript's. */
const withoutFunctions = (_key: string, value: unknown): unknown =>
  typeof value === 'function' || (typeof value === 'object' && value !== null && '_jsonata_lambda' in value) ? undefined : value;

/**
 * Evaluates a transformation on the envelope. The result, serialized with JSON.stringify, is the
 * body; JSONata's "nothing" (undefined) cancels the delivery; anything that exceeds a guard or
 * raises an error fails it, the same way every time for the same input.
 */
export const evaluateTransformation = async (
  expression: string,
  input: TransformationInput,
  guards: TransformationGuards = TRANSFORMATION_GUARDS,
  now: () => number = Date.now,
): Promise<TransformationResult> => {
  const jsonata = await loadJsonata();
  let result: unknown;
  try {
    // Compiled for each evaluation: the hooks hold this evaluation's clock and depth.
    const compiled = jsonata(expression, { sequence: guards.maxSequence });
    const hooks = guardHooks(guards, now);
    compiled.assign(Symbol.for('jsonata.__evaluate_entry') as unknown as string, hooks.entry);
    compiled.assign(Symbol.for('jsonata.__evaluate_exit') as unknown as string, hooks.exit);
    result = await compiled.evaluate(input);
  } catch (error) {
    return { kind: 'failed', message: failureMessage(error, guards) };
  }
  if (result === undefined) return { kind: 'cancelled' };
  let body: string | undefined;
  try {
    body = JSON.stringify(result, withoutFunctions);
  } catch (error) {
    return { kind: 'failed', message: failureMessage(error, guards) };
  }
  if (body === undefined) return { kind: 'failed', message: 'result: a function, not a JSON value' };
  if (Buffer.byteLength(body) > guards.maxOutputBytes) {
    return { kind: 'failed', message: `output limit: the result is larger than ${guards.maxOutputBytes} bytes` };
  }
  return { kind: 'body', body };
};
