/**
 * Regular expressions are refused in transformations: a pattern such as /(a+)+$/ can backtrack for
 * seconds on a short string inside one built-in call ($match, $replace, $split, $contains), where no
 * guard can interrupt it, blocking every other delivery of the invocation (docs/transformations.md).
 */
import { GuardExceeded } from './transformation-refusal';

export const REGEX_REFUSED =
  'regular expressions are not supported (one can backtrack for seconds inside a single call, where no time guard reaches): ' +
  'use the string forms of $contains, $split and $replace, or $substringBefore, $substringAfter, $uppercase, $lowercase and $trim';

/** The position of the first regular expression literal in a compiled expression's AST, if any. */
export const findRegex = (ast: unknown): { position?: number } | undefined => {
  const seen = new Set<object>();
  const pending: unknown[] = [ast];
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node !== 'object' || node === null || seen.has(node) || node instanceof RegExp) continue;
    seen.add(node);
    const { type, position } = node as { type?: unknown; position?: unknown };
    if (type === 'regex') return typeof position === 'number' ? { position } : {};
    pending.push(...Object.values(node));
  }
  return undefined;
};

/**
 * JSONata's `RegexEngine` for evaluation: refuses to build any pattern, so an expression saved
 * before the refusal, or one made at run time by $eval, fails instead of running it.
 */
export class RefusedRegexEngine {
  constructor() {
    throw new GuardExceeded(REGEX_REFUSED);
  }
}
