import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB's attribute values to and from the plain values the stores keep: strings, finite
 * numbers, booleans, null, bytes, lists and maps (undefined fields and list entries left out).
 * The stores need nothing more, so every function is spared a general-purpose marshalling library;
 * the unit tests hold both directions to the AWS SDK's own.
 */
const toAttributeValue = (value: unknown): AttributeValue | undefined => {
  if (value === undefined) return undefined;
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'boolean') return { BOOL: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`DynamoDB cannot store the number ${value}`);
    // As the SDK does: beyond 2^53 a double no longer holds every integer, so such a value is refused.
    if (Math.abs(value) > Number.MAX_SAFE_INTEGER) throw new RangeError(`the number ${value} is beyond the safe integer range`);
    return { N: String(value) };
  }
  if (value instanceof Uint8Array) return { B: value };
  if (Array.isArray(value)) {
    return { L: value.map(toAttributeValue).filter((entry): entry is AttributeValue => entry !== undefined) };
  }
  if (typeof value === 'object' && isPlainObject(value)) return { M: toAttributeMap(value) };
  throw new TypeError(`DynamoDB values here are JSON-like; got ${Object.prototype.toString.call(value)}`);
};

const isPlainObject = (value: object): boolean => {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
};

export const toAttributeMap = (value: object): Record<string, AttributeValue> => {
  const map: Record<string, AttributeValue> = {};
  for (const [name, field] of Object.entries(value)) {
    const attribute = toAttributeValue(field);
    if (attribute !== undefined) map[name] = attribute;
  }
  return map;
};

const fromAttributeValue = (attribute: AttributeValue): unknown => {
  if (attribute.S !== undefined) return attribute.S;
  if (attribute.N !== undefined) return fromNumber(attribute.N);
  if (attribute.BOOL !== undefined) return attribute.BOOL;
  if (attribute.NULL !== undefined) return null;
  if (attribute.B !== undefined) return attribute.B;
  if (attribute.L !== undefined) return attribute.L.map(fromAttributeValue);
  if (attribute.M !== undefined) return fromAttributeMap(attribute.M);
  throw new TypeError(`unexpected DynamoDB attribute type ${Object.keys(attribute).join(',')}`);
};

export const fromAttributeMap = (map: Record<string, AttributeValue>): Record<string, unknown> => {
  const value: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(map)) value[name] = fromAttributeValue(attribute);
  return value;
};

/** As the SDK reads numbers: a JavaScript number, refusing what a double would round. */
const fromNumber = (text: string): number => {
  const value = Number(text);
  if (Number.isInteger(value) && !Number.isSafeInteger(value) && /^-?\d+$/.test(text)) {
    throw new RangeError(`the DynamoDB number ${text} is too large for a JavaScript number`);
  }
  return value;
};
