/**
 * A read-only view of a synthesized CloudFormation template (the JSON `cdk synth` writes), with
 * the narrowing the rest of the local runtime needs. Pure: no I/O, no AWS calls.
 */

export type JsonObject = { readonly [key: string]: unknown };

export interface TemplateResource {
  readonly logicalId: string;
  readonly type: string;
  readonly properties: JsonObject;
  readonly metadata: JsonObject;
}

export interface TemplateParameter {
  readonly logicalId: string;
  readonly defaultValue?: unknown;
}

export interface Template {
  readonly resources: ReadonlyMap<string, TemplateResource>;
  readonly parameters: ReadonlyMap<string, TemplateParameter>;
}

export const RESOURCE_TYPES = {
  table: 'AWS::DynamoDB::Table',
  globalTable: 'AWS::DynamoDB::GlobalTable',
  queue: 'AWS::SQS::Queue',
  function: 'AWS::Lambda::Function',
  eventSourceMapping: 'AWS::Lambda::EventSourceMapping',
  alias: 'AWS::Lambda::Alias',
  version: 'AWS::Lambda::Version',
} as const;

/** The template is not the shape CloudFormation would accept; `path` says where. */
export class InvalidTemplateError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`template ${path}: ${message}`);
    this.name = 'InvalidTemplateError';
  }
}

const parsed = new WeakMap<object, Template>();

/**
 * Reads a template object once; later calls with the same object are free, so every helper can
 * take the raw JSON the caller holds. A template is treated as immutable once read: change a copy.
 */
export function readTemplate(value: unknown): Template {
  const template = asObject(value, '(root)');
  const cached = parsed.get(template);
  if (cached !== undefined) return cached;

  const resources = new Map<string, TemplateResource>();
  for (const [logicalId, raw] of Object.entries(asObject(template.Resources ?? {}, 'Resources'))) {
    const where = `Resources.${logicalId}`;
    const resource = asObject(raw, where);
    resources.set(logicalId, {
      logicalId,
      type: asString(resource.Type, `${where}.Type`),
      properties: asObject(resource.Properties ?? {}, `${where}.Properties`),
      metadata: asObject(resource.Metadata ?? {}, `${where}.Metadata`),
    });
  }
  const parameters = new Map<string, TemplateParameter>();
  for (const [logicalId, raw] of Object.entries(asObject(template.Parameters ?? {}, 'Parameters'))) {
    const parameter = asObject(raw, `Parameters.${logicalId}`);
    parameters.set(logicalId, { logicalId, defaultValue: parameter.Default });
  }
  const result: Template = { resources, parameters };
  parsed.set(template, result);
  return result;
}

export function resourcesOfType(template: unknown, ...types: string[]): TemplateResource[] {
  return [...readTemplate(template).resources.values()].filter((resource) => types.includes(resource.type));
}

export class ResourceNotFoundError extends Error {
  constructor(
    readonly search: string,
    readonly types: readonly string[],
    candidates: readonly TemplateResource[],
  ) {
    const known = candidates.map((r) => constructPath(r) ?? r.logicalId).join(', ');
    super(`no single ${types.join(' or ')} matches '${search}' (candidates: ${known || 'none'})`);
    this.name = 'ResourceNotFoundError';
  }
}

/** Metadata `aws:cdk:path`, e.g. `WebhookFanout/WebhookFanout/DeliveryQueue/Resource`. */
export function constructPath(resource: TemplateResource): string | undefined {
  const path = resource.metadata['aws:cdk:path'];
  return typeof path === 'string' ? path : undefined;
}

/**
 * The resource of one of `types` whose logical id is `search`, or else whose construct path has a
 * segment equal to it (`DeliveryQueue`), or else whose path contains it. Exactly one must match:
 * construct ids are stable where logical ids carry hashes.
 */
export function findResource(template: unknown, search: string, ...types: string[]): TemplateResource {
  const candidates = resourcesOfType(template, ...types);
  const rules: ((resource: TemplateResource) => boolean)[] = [
    (resource) => resource.logicalId === search,
    (resource) => constructPath(resource)?.split('/').includes(search) ?? false,
    (resource) => constructPath(resource)?.includes(search) ?? false,
  ];
  for (const rule of rules) {
    const matches = candidates.filter(rule);
    if (matches.length === 1 && matches[0] !== undefined) return matches[0];
    if (matches.length > 1) break;
  }
  throw new ResourceNotFoundError(search, types, candidates);
}

/** The logical ids a value points at through Ref, Fn::GetAtt and Fn::Sub, pseudo parameters left out. */
export function referencedLogicalIds(value: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!isObject(node)) return;
    const ref = node.Ref;
    if (typeof ref === 'string' && !ref.startsWith('AWS::')) found.add(ref);
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') found.add(getAtt[0]);
    if (typeof getAtt === 'string') found.add(getAtt.split('.')[0] ?? getAtt);
    const sub = node['Fn::Sub'];
    const subText = typeof sub === 'string' ? sub : Array.isArray(sub) ? sub[0] : undefined;
    if (typeof subText === 'string') {
      for (const match of subText.matchAll(/\$\{([^}!.]+)(?:\.[^}]*)?\}/g)) {
        const id = match[1];
        if (id !== undefined && !id.startsWith('AWS::')) found.add(id);
      }
    }
    Object.values(node).forEach(visit);
  };
  visit(value);
  return found;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw new InvalidTemplateError(path, `expected an object, got ${describeJson(value)}`);
  return value;
}

export function asArray(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new InvalidTemplateError(path, `expected an array, got ${describeJson(value)}`);
  return value;
}

export function asString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new InvalidTemplateError(path, `expected a string, got ${describeJson(value)}`);
  return value;
}

/** CloudFormation accepts numbers written as strings ("30"), so both are read. */
export function asNumber(value: unknown, path: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new InvalidTemplateError(path, `expected a number, got ${describeJson(value)}`);
  }
  return number;
}

/** CloudFormation accepts booleans written as strings ("true"), so both are read. */
export function asBoolean(value: unknown, path: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new InvalidTemplateError(path, `expected a boolean, got ${describeJson(value)}`);
}

export function optional<T>(
  value: unknown,
  path: string,
  read: (value: unknown, path: string) => T,
): T | undefined {
  return value === undefined ? undefined : read(value, path);
}

export function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
