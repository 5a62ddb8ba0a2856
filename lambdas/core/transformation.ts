/**
 * Per-subscription payload transformations: a JSONata expression that reshapes the body an
 * endpoint receives (docs/transformations.md). JSONata is loaded on the first use, so a function
 * whose subscriptions have no transformation never evaluates it (docs/decisions.md).
 *
 * Nothing a user writes runs as JavaScript: JSONata is an expression language interpreted here,
 * with its built-in functions only, under guards on time, depth, sequence length and output size.
 * Regular expressions are refused, and the built-ins that could make far more than they are given
 * are replaced by bounded versions (transformation-builtins.ts).
 */
import type jsonataType from 'jsonata';
import { isJsonataFunction, jsonLengthExceeds } from './json-size';
import { boundedBuiltins, ORIGINAL_NAMES, type OriginalBuiltins } from './transformation-builtins';
import { GuardExceeded } from './transformation-refusal';
import { findRegex, REGEX_REFUSED, RefusedRegexEngine } from './transformation-regex';

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

/** An expression that does not compile, or uses what is refused: the message and the character position it points at. */
export interface TransformationSyntaxError {
  message: string;
  position?: number;
  /** It compiles, but uses what transformations refuse (a regular expression). */
  refused?: true;
}

type Jsonata = typeof jsonataType;
interface Loaded {
  jsonata: Jsonata;
  originals: OriginalBuiltins;
}
let loaded: Promise<Loaded> | undefined;

/** The built-ins the bounded versions call, read once as values from a JSONata expression. */
const readOriginals = async (jsonata: Jsonata): Promise<OriginalBuiltins> => {
  const values = (await jsonata(`[${ORIGINAL_NAMES.map((name) => `$${name}`).join(', ')}]`).evaluate(null)) as OriginalBuiltins[keyof OriginalBuiltins][];
  return Object.fromEntries(ORIGINAL_NAMES.map((name, index) => [name, values[index]])) as OriginalBuiltins;
};

/**
 * JSONata, required on the first call only: the deployed functions ship it beside their bundle as an
 * external module (lib/webhook-fanout/functions.ts), so a function never parses it until then.
 */
const loadJsonata = (): Promise<Loaded> => {
  loaded ??= import('jsonata').then(async (module) => {
    const jsonata = (module as { default?: Jsonata }).default ?? (module as unknown as Jsonata);
    return { jsonata, originals: await readOriginals(jsonata) };
  });
  return loaded;
};

interface JsonataError {
  code?: string;
  message?: string;
  position?: number;
}

const asJsonataError = (error: unknown): JsonataError => (typeof error === 'object' && error !== null ? (error as JsonataError) : { message: String(error) });

/** Compiles the expression; undefined when it is valid, else why not (a regular expression is refused). */
export const checkTransformation = async (expression: string): Promise<TransformationSyntaxError | undefined> => {
  const { jsonata } = await loadJsonata();
  let ast: unknown;
  try {
    ast = jsonata(expression).ast();
  } catch (error) {
    const { message, position } = asJsonataError(error);
    return { message: message ?? 'the transformation does not compile', ...(typeof position === 'number' ? { position } : {}) };
  }
  const regex = findRegex(ast);
  return regex === undefined ? undefined : { message: REGEX_REFUSED, ...regex, refused: true };
};

interface ExpressionNode {
  type?: string;
  value?: unknown;
  lhs?: unknown;
  rhs?: unknown;
}

const isConcatenation = (node: ExpressionNode): boolean => node.type === 'binary' && node.value === '&';

/**
 * Wall time and depth, checked as JSONata enters and leaves each node of the expression: a
 * runaway loop or recursion stops within one step of its limit. The `&` operator is bounded here
 * too: its result by the output limit (doubling a string in a loop stops there), and its operands,
 * which it turns into JSON text, measured before that happens.
 */
const guardHooks = (guards: TransformationGuards, now: () => number) => {
  const startedAt = now();
  let depth = 0;
  const concatenated = new WeakSet<object>();
  const checkTime = () => {
    if (now() - startedAt > guards.timeoutMs) throw new TimeLimitExceeded(`time limit: ran longer than ${guards.timeoutMs} ms`);
  };
  const outputLimit = () => new GuardExceeded(`output limit: a string of more than ${guards.maxOutputBytes} characters`);
  return {
    entry: (node: ExpressionNode) => {
      depth += 1;
      if (depth > guards.maxDepth) throw new GuardExceeded(`depth limit: nested deeper than ${guards.maxDepth} evaluations (runaway recursion?)`);
      checkTime();
      if (isConcatenation(node)) for (const operand of [node.lhs, node.rhs]) if (typeof operand === 'object' && operand !== null) concatenated.add(operand);
    },
    exit: (node: ExpressionNode, _input: unknown, _environment: unknown, result: unknown) => {
      depth -= 1;
      checkTime();
      if (isConcatenation(node) && typeof result === 'string' && result.length > guards.maxOutputBytes) throw outputLimit();
      if (concatenated.has(node) && typeof result === 'object' && jsonLengthExceeds(result, guards.maxOutputBytes)) throw outputLimit();
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
const withoutFunctions = (_key: string, value: unknown): unknown => (isJsonataFunction(value) ? undefined : value);

const outputLimitFailure = (guards: TransformationGuards): TransformationResult => ({
  kind: 'failed',
  message: `output limit: the result is larger than ${guards.maxOutputBytes} bytes`,
});

/** The time limit, apart from the other guards: the one a slow start can trip (see evaluateTransformation). */
class TimeLimitExceeded extends GuardExceeded {}

/**
 * Evaluates a transformation on the envelope. The result, serialized with JSON.stringify, is the
 * body; JSONata's "nothing" (undefined) cancels the delivery; anything that exceeds a guard or
 * raises an error fails it, the same way every time for the same input.
 *
 * The time limit alone depends on the moment: the first evaluation in a fresh process runs JSONata
 * before the JIT has compiled it (several times slower on a shared or small CPU), so an expression
 * that needs a few milliseconds can overrun it once. An evaluation stopped by the time limit is
 * run once more, warm, before it counts as failed: a runaway is stopped twice, a slow start is not
 * a lost delivery.
 */
export const evaluateTransformation = async (
  expression: string,
  input: TransformationInput,
  guards: TransformationGuards = TRANSFORMATION_GUARDS,
  now: () => number = Date.now,
): Promise<TransformationResult> => {
  const first = await evaluateOnce(expression, input, guards, now);
  if (!('timeLimit' in first)) return first;
  const second = await evaluateOnce(expression, input, guards, now);
  return 'timeLimit' in second ? { kind: 'failed', message: second.message } : second;
};

/** A result, or a failure the time limit caused (which evaluateTransformation tries once more). */
type EvaluationResult = TransformationResult | { kind: 'failed'; message: string; timeLimit: true };

const evaluateOnce = async (expression: string, input: TransformationInput, guards: TransformationGuards, now: () => number): Promise<EvaluationResult> => {
  const { jsonata, originals } = await loadJsonata();
  let result: unknown;
  try {
    // Compiled for each evaluation: the hooks hold this evaluation's clock and depth.
    const compiled = jsonata(expression, { sequence: guards.maxSequence, RegexEngine: RefusedRegexEngine as unknown as RegExpConstructor });
    const hooks = guardHooks(guards, now);
    compiled.assign(Symbol.for('jsonata.__evaluate_entry') as unknown as string, hooks.entry);
    compiled.assign(Symbol.for('jsonata.__evaluate_exit') as unknown as string, hooks.exit);
    for (const { name, signature, implementation } of boundedBuiltins(guards, originals)) {
      // JSONata passes its focus with the evaluation's sequence factory, which its typings leave out.
      compiled.registerFunction(name, implementation as unknown as Parameters<typeof compiled.registerFunction>[1], signature);
    }
    result = await compiled.evaluate(input);
  } catch (error) {
    if (error instanceof TimeLimitExceeded) return { kind: 'failed', message: error.message, timeLimit: true };
    return { kind: 'failed', message: failureMessage(error, guards) };
  }
  if (result === undefined) return { kind: 'cancelled' };
  // Measured before it is written: parts shared many times would make text far past the limit.
  if (jsonLengthExceeds(result, guards.maxOutputBytes)) return outputLimitFailure(guards);
  let body: string | undefined;
  try {
    body = JSON.stringify(result, withoutFunctions);
  } catch (error) {
    return { kind: 'failed', message: failureMessage(error, guards) };
  }
  if (body === undefined) return { kind: 'failed', message: 'result: a function, not a JSON value' };
  if (Buffer.byteLength(body) > guards.maxOutputBytes) return outputLimitFailure(guards);
  return { kind: 'body', body };
};
