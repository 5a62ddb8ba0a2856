/**
 * EventBridge's `wildcard` operator: `*` stands for any run of characters (none included), `\*` for
 * a literal asterisk and `\\` for a backslash; two `*` in a row and a backslash before anything
 * else are refused. Matching never builds a RegExp from the pattern: the text between the stars is
 * found leftmost-first with a Knuth-Morris-Pratt scan, which is enough for a pattern whose only
 * special character is `*` (no backtracking), so the time grows with the text plus the pattern,
 * never with their product.
 */

/** Why the pattern is refused, or undefined when it is a valid wildcard. */
export const wildcardError = (pattern: string): string | undefined => {
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') return 'a backslash may only escape "*" or "\\"';
      i++;
    } else if (char === '*' && pattern[i + 1] === '*') {
      return 'two "*" in a row are not allowed';
    }
  }
  return undefined;
};

/** The literal texts between the unescaped stars: one more than there are stars. */
export const wildcardSegments = (pattern: string): string[] => {
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\' && i + 1 < pattern.length) current += pattern[++i];
    else if (char === '*') {
      segments.push(current);
      current = '';
    } else current += char;
  }
  segments.push(current);
  return segments;
};

/** Knuth-Morris-Pratt: where `needle` first starts in `text` within [from, to), or -1. */
const indexWithin = (text: string, needle: string, from: number, to: number): number => {
  if (needle.length === 0) return from;
  const fallback = new Array<number>(needle.length).fill(0);
  for (let i = 1, k = 0; i < needle.length; i++) {
    while (k > 0 && needle[i] !== needle[k]) k = fallback[k - 1]!;
    if (needle[i] === needle[k]) k++;
    fallback[i] = k;
  }
  for (let i = from, k = 0; i < to; i++) {
    while (k > 0 && text[i] !== needle[k]) k = fallback[k - 1]!;
    if (text[i] === needle[k]) k++;
    if (k === needle.length) return i - needle.length + 1;
  }
  return -1;
};

/** Whether the whole text matches the (valid) wildcard pattern. */
export const wildcardMatches = (pattern: string, text: string): boolean => {
  const segments = wildcardSegments(pattern);
  const first = segments[0]!;
  if (segments.length === 1) return text === first;
  const last = segments[segments.length - 1]!;
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (const segment of segments.slice(1, -1)) {
    const found = indexWithin(text, segment, at, end);
    if (found < 0) return false;
    at = found + segment.length;
  }
  return true;
};
