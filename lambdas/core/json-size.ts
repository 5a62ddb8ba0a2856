/**
 * Sizes of JSONata values as JSON, measured without building the text: a value made of shared parts
 * (one large string referenced a thousand times) is cheap in memory but huge as text.
 */

/** A JSONata function value (built-in or lambda): serialized as nothing, never walked into. */
export const isJsonataFunction = (value: unknown): boolean =>
  typeof value === 'function' ||
  (typeof value === 'object' && value !== null && ('_jsonata_lambda' in value || '_jsonata_function' in value));

/**
 * Whether the value's JSON text (with `indent` spaces per level when pretty-printed) is longer than
 * `limit` characters. Stops as soon as it is, so it never walks more than about `limit` items.
 */
export const jsonLengthExceeds = (value: unknown, limit: number, indent = 0): boolean => {
  let length = 0;
  const pending: Array<{ item: unknown; depth: number }> = [{ item: value, depth: 0 }];
  while (pending.length > 0) {
    const { item, depth } = pending.pop()!;
    length += indent === 0 ? 0 : indent * depth + 1;
    if (typeof item === 'string') {
      length += item.length + 2;
    } else if (isJsonataFunction(item)) {
      length += 2;
    } else if (Array.isArray(item)) {
      length += 2 + item.length;
      if (length > limit) return true;
      for (const element of item as unknown[]) pending.push({ item: element, depth: depth + 1 });
    } else if (typeof item === 'object' && item !== null) {
      const entries = Object.entries(item);
      length += 2;
      for (const [key, element] of entries) {
        length += key.length + 4;
        if (length > limit) return true;
        pending.push({ item: element, depth: depth + 1 });
      }
    } else {
      length += String(item).length;
    }
    if (length > limit) return true;
  }
  return false;
};
