/**
 * JSON text as it was written. JSON.parse turns numbers into doubles (12345678901234567890 becomes
 * 12345678901234567000, 1e400 becomes Infinity) and keeps the last of repeated keys; an event's
 * data is delivered as the text its publisher sent, so that text is read here: where each value
 * starts and ends, with object keys decoded to find repeats. It expects text that JSON.parse
 * accepted (and whose depth was checked), so it does not re-validate the grammar in detail.
 */

export type JsonNode =
  | { kind: 'scalar'; start: number; end: number }
  | { kind: 'array'; start: number; end: number; items: JsonNode[] }
  | { kind: 'object'; start: number; end: number; members: { key: string; value: JsonNode }[] };

/** An object with the same key twice: JSON.parse keeps the last, other readers may keep the first. */
export class DuplicateJsonKeyError extends Error {
  override name = 'DuplicateJsonKeyError';
  constructor(
    readonly key: string,
    /** Where the object is, as `a.b[2]` (empty for the top level). */
    readonly path: string,
  ) {
    super(`the key ${JSON.stringify(key)} appears twice in the object at ${path === '' ? 'the top level' : path}`);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

const isWhitespace = (char: string | undefined): boolean => char === ' ' || char === '\t' || char === '\n' || char === '\r';

const childPath = (path: string, segment: string | number): string =>
  typeof segment === 'number' ? `${path}[${segment}]` : path === '' ? segment : `${path}.${segment}`;

class Reader {
  private at = 0;

  constructor(private readonly text: string) {}

  document(): JsonNode {
    const node = this.value('');
    this.skipWhitespace();
    if (this.at !== this.text.length) this.fail();
    return node;
  }

  private value(path: string): JsonNode {
    this.skipWhitespace();
    const char = this.text[this.at];
    if (char === '{') return this.object(path);
    if (char === '[') return this.array(path);
    const start = this.at;
    if (char === '"') this.string();
    else if (!this.sticky(NUMBER) && !this.sticky(LITERAL)) this.fail();
    return { kind: 'scalar', start, end: this.at };
  }

  private object(path: string): JsonNode {
    const start = this.at++;
    const members: { key: string; value: JsonNode }[] = [];
    const seen = new Set<string>();
    this.skipWhitespace();
    if (this.text[this.at] !== '}') {
      for (;;) {
        this.skipWhitespace();
        const keyStart = this.at;
        this.string();
        const key = JSON.parse(this.text.slice(keyStart, this.at)) as string;
        if (seen.has(key)) throw new DuplicateJsonKeyError(key, path);
        seen.add(key);
        this.expect(':');
        members.push({ key, value: this.value(childPath(path, key)) });
        if (!this.separator('}')) break;
      }
    }
    this.at++;
    return { kind: 'object', start, end: this.at, members };
  }

  private array(path: string): JsonNode {
    const start = this.at++;
    const items: JsonNode[] = [];
    this.skipWhitespace();
    if (this.text[this.at] !== ']') {
      do items.push(this.value(childPath(path, items.length)));
      while (this.separator(']'));
    }
    this.at++;
    return { kind: 'array', start, end: this.at, items };
  }

  /** After a member or item: true at a comma (another follows), false at the closing bracket. */
  private separator(close: string): boolean {
    this.skipWhitespace();
    const char = this.text[this.at];
    if (char === ',') {
      this.at++;
      return true;
    }
    if (char !== close) this.fail();
    return false;
  }

  private string(): void {
    if (this.text[this.at] !== '"') this.fail();
    for (let i = this.at + 1; i < this.text.length; i++) {
      const char = this.text[i];
      if (char === '\\') i++;
      else if (char === '"') {
        this.at = i + 1;
        return;
      }
    }
    this.fail();
  }

  private sticky(pattern: RegExp): boolean {
    pattern.lastIndex = this.at;
    if (!pattern.test(this.text)) return false;
    this.at = pattern.lastIndex;
    return true;
  }

  private expect(char: string): void {
    this.skipWhitespace();
    if (this.text[this.at] !== char) this.fail();
    this.at++;
  }

  private skipWhitespace(): void {
    while (isWhitespace(this.text[this.at])) this.at++;
  }

  private fail(): never {
    throw new SyntaxError(`not JSON text at position ${this.at}`);
  }
}

/** The structure of JSON text; throws DuplicateJsonKeyError at the first object with a repeated key. */
export const readJsonStructure = (text: string): JsonNode => new Reader(text).document();

/** The text of a member of a top-level object, exactly as written (no surrounding whitespace). */
export const memberText = (text: string, root: JsonNode, name: string): string | undefined => {
  if (root.kind !== 'object') return undefined;
  const member = root.members.find((m) => m.key === name);
  return member === undefined ? undefined : text.slice(member.value.start, member.value.end);
};

/**
 * JSON text with object keys sorted at every level and no whitespace between tokens, every number
 * and string value kept as written: two texts that deliver the same bytes once laid out alike
 * give the same result. Keys are written as JSON.stringify writes them.
 */
export const canonicalJsonText = (text: string, node: JsonNode = readJsonStructure(text)): string => {
  if (node.kind === 'scalar') return text.slice(node.start, node.end);
  if (node.kind === 'array') return `[${node.items.map((item) => canonicalJsonText(text, item)).join(',')}]`;
  const members = [...node.members].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return `{${members.map((m) => `${JSON.stringify(m.key)}:${canonicalJsonText(text, m.value)}`).join(',')}}`;
};
