import { describeJson, InvalidTemplateError, isObject, readTemplate } from './document';

/**
 * Evaluates CloudFormation intrinsic functions against the resources the local runtime created.
 * Pure: the created resources come in through `lookup`.
 */

export interface LocalTable {
  readonly kind: 'table';
  readonly logicalId: string;
  readonly tableName: string;
  readonly tableArn: string;
  readonly streamArn?: string;
  /** The template's TTL setting, and whether the emulator took it (dynalite has no TTL API). */
  readonly timeToLive?: { readonly attributeName: string; readonly enabled: boolean; readonly applied: boolean };
}

export interface LocalQueue {
  readonly kind: 'queue';
  readonly logicalId: string;
  readonly queueName: string;
  readonly queueUrl: string;
  readonly queueArn: string;
}

export type LocalResource = LocalTable | LocalQueue;

export const LOCAL_ACCOUNT_ID = '000000000000';

export interface ResolverOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' (the account fauxqs puts in its ARNs) */
  readonly accountId?: string;
  /** What `AWS::StackName` resolves to. @default 'local' */
  readonly stackName?: string;
  /**
   * Throw `UnresolvableValueError` for references the local runtime cannot answer (resources it
   * does not emulate, such as a KMS key) instead of answering `unresolved:<reference>`.
   * @default false
   */
  readonly strict?: boolean;
}

export class UnresolvableValueError extends Error {
  constructor(
    readonly reference: string,
    reason: string,
  ) {
    super(`cannot resolve ${reference} locally: ${reason}`);
    this.name = 'UnresolvableValueError';
  }
}

/** What a non-strict resolver answers for a reference it cannot resolve; visible in any log line. */
export function unresolvedPlaceholder(reference: string): string {
  return `unresolved:${reference}`;
}

/** Marks `{"Ref": "AWS::NoValue"}`, which removes the property or list element holding it. */
const NO_VALUE = Symbol('AWS::NoValue');

export function createResolver(
  template: unknown,
  lookup: (logicalId: string) => LocalResource | undefined,
  options: ResolverOptions = {},
): (value: unknown) => unknown {
  const { parameters } = readTemplate(template);
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  const stackName = options.stackName ?? 'local';

  const unresolved = (reference: string, reason: string): string => {
    if (options.strict) throw new UnresolvableValueError(reference, reason);
    return unresolvedPlaceholder(reference);
  };

  const pseudo = (name: string): unknown => {
    switch (name) {
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return accountId;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/local`;
      case 'AWS::NotificationARNs':
        return [];
      case 'AWS::NoValue':
        return NO_VALUE;
      default:
        return unresolved(`Ref(${name})`, 'unknown pseudo parameter');
    }
  };

  const ref = (name: string): unknown => {
    if (name.startsWith('AWS::')) return pseudo(name);
    const resource = lookup(name);
    if (resource !== undefined) return resource.kind === 'table' ? resource.tableName : resource.queueUrl;
    const parameter = parameters.get(name);
    if (parameter !== undefined) {
      return parameter.defaultValue !== undefined
        ? resolve(parameter.defaultValue)
        : unresolved(`Ref(${name})`, 'parameter without a default');
    }
    return unresolved(`Ref(${name})`, 'not a table or queue the local runtime created');
  };

  const getAtt = (logicalId: string, attribute: string): unknown => {
    const reference = `Fn::GetAtt(${logicalId}.${attribute})`;
    const resource = lookup(logicalId);
    if (resource === undefined) return unresolved(reference, 'not a table or queue the local runtime created');
    if (resource.kind === 'queue') {
      if (attribute === 'Arn') return resource.queueArn;
      if (attribute === 'QueueUrl') return resource.queueUrl;
      if (attribute === 'QueueName') return resource.queueName;
    } else {
      if (attribute === 'Arn') return resource.tableArn;
      if (attribute === 'StreamArn') return resource.streamArn ?? unresolved(reference, 'the table has no stream');
    }
    return unresolved(reference, `no attribute ${attribute} on a local ${resource.kind}`);
  };

  const sub = (text: string, variables: Record<string, unknown>): string =>
    text.replace(/\$\{([^}]*)\}/g, (whole: string, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in variables) return scalarText(variables[name], `Fn::Sub variable ${name}`);
      const dot = name.indexOf('.');
      const value = dot > 0 && !name.startsWith('AWS::') ? getAtt(name.slice(0, dot), name.slice(dot + 1)) : ref(name);
      return scalarText(value, `Fn::Sub ${whole}`);
    });

  const intrinsic = (name: string, argument: unknown): unknown => {
    switch (name) {
      case 'Ref':
        return ref(textArgument(resolve(argument), name));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] =
          typeof argument === 'string' ? splitOnce(argument, '.') : listArgument(argument, name, 2);
        return getAtt(textArgument(logicalId, name), textArgument(resolve(attribute), name));
      }
      case 'Fn::Join': {
        const [delimiter, list] = listArgument(argument, name, 2);
        const items = resolve(list);
        if (!Array.isArray(items)) return unresolved(`${name}(${describeJson(list)})`, 'the list did not resolve');
        return items.map((item) => scalarText(item, name)).join(textArgument(delimiter, name));
      }
      case 'Fn::Select': {
        const [index, list] = listArgument(argument, name, 2);
        const items = resolve(list);
        if (!Array.isArray(items)) return unresolved(`${name}(${describeJson(list)})`, 'the list did not resolve');
        const position = Number(resolve(index));
        if (!Number.isInteger(position) || position < 0 || position >= items.length) {
          return unresolved(`${name}(${describeJson(index)})`, `index outside a list of ${items.length}`);
        }
        return items[position];
      }
      case 'Fn::Split': {
        const [delimiter, source] = listArgument(argument, name, 2);
        return scalarText(resolve(source), name).split(textArgument(delimiter, name));
      }
      case 'Fn::Sub': {
        if (typeof argument === 'string') return sub(argument, {});
        const [text, variables] = listArgument(argument, name, 2);
        const resolvedVariables = resolve(variables);
        return sub(textArgument(text, name), isObject(resolvedVariables) ? { ...resolvedVariables } : {});
      }
      case 'Fn::Base64':
        return Buffer.from(scalarText(resolve(argument), name), 'utf8').toString('base64');
      default:
        return unresolved(`${name}(${describeJson(argument)})`, 'intrinsic function not evaluated locally');
    }
  };

  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve).filter((item) => item !== NO_VALUE);
    if (!isObject(value)) return value;
    const keys = Object.keys(value);
    const only = keys.length === 1 ? keys[0] : undefined;
    if (only !== undefined && (only === 'Ref' || only.startsWith('Fn::'))) return intrinsic(only, value[only]);
    const result: Record<string, unknown> = {};
    for (const key of keys) {
      const resolved = resolve(value[key]);
      if (resolved !== NO_VALUE) result[key] = resolved;
    }
    return result;
  };

  const scalarText = (value: unknown, where: string): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return unresolved(`${where}(${describeJson(value)})`, 'expected a string');
  };

  return (value: unknown) => {
    const resolved = resolve(value);
    return resolved === NO_VALUE ? undefined : resolved;
  };
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

function textArgument(value: unknown, intrinsic: string): string {
  if (typeof value !== 'string') {
    throw new InvalidTemplateError(intrinsic, `expected a string argument, got ${describeJson(value)}`);
  }
  return value;
}

function listArgument(value: unknown, intrinsic: string, length?: number): unknown[] {
  if (!Array.isArray(value) || (length !== undefined && value.length !== length)) {
    const expected = length === undefined ? 'a list' : `a list of ${length}`;
    throw new InvalidTemplateError(intrinsic, `expected ${expected}, got ${describeJson(value)}`);
  }
  return value;
}
