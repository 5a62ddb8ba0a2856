import {
  asArray,
  asBoolean,
  asNumber,
  asObject,
  asString,
  constructPath,
  describeJson,
  findResource,
  InvalidTemplateError,
  isObject,
  optional,
  readTemplate,
  resourcesOfType,
  RESOURCE_TYPES,
  type JsonObject,
  type Template,
  type TemplateResource,
} from './document';

/**
 * The Lambda functions of a template and the SQS event sources that feed them, as the local
 * runtime needs them to invoke handlers with Lambda's settings. Pure.
 */

export interface TemplateFunction {
  readonly logicalId: string;
  /** Metadata `aws:cdk:path`, e.g. `WebhookFanout/WebhookFanout/IngestFunction/Resource`. */
  readonly constructPath?: string;
  readonly handler?: string;
  readonly runtime?: string;
  readonly description?: string;
  /** Lambda's default is 3 s. */
  readonly timeoutSeconds: number;
  /** Lambda's default is 128 MB. */
  readonly memoryMb: number;
  readonly reservedConcurrency?: number;
  /** Environment.Variables as written in the template: intrinsics unresolved. */
  readonly environment: JsonObject;
  /** Metadata `aws:asset:path`; absent when the app was synthesized without asset metadata. */
  readonly assetPath?: string;
  /** LoggingConfig, with Lambda's defaults filled in. */
  readonly logging: FunctionLogging;
}

/** What a function's log group receives: Lambda's log format and, for JSON, its two filters. */
export interface FunctionLogging {
  /** Lambda's default is `Text`, where neither level applies. */
  readonly format: 'JSON' | 'Text';
  /** Filter of the function's own lines; Lambda's default is `INFO`. */
  readonly applicationLogLevel: string;
  /** Filter of Lambda's platform records (start, report, ...); Lambda's default is `INFO`. */
  readonly systemLogLevel: string;
}

export interface SqsEventSource {
  readonly logicalId: string;
  readonly functionLogicalId: string;
  readonly queueLogicalId: string;
  /** Lambda's default for SQS is 10. */
  readonly batchSize: number;
  /** Lambda's default is 0. */
  readonly maximumBatchingWindowSeconds: number;
  readonly functionResponseTypes: readonly string[];
  readonly reportBatchItemFailures: boolean;
  /** ScalingConfig.MaximumConcurrency; absent means Lambda's own scaling. */
  readonly maximumConcurrency?: number;
  readonly enabled: boolean;
  /** FilterCriteria.Filters[].Pattern, as JSON text. */
  readonly filterPatterns: readonly string[];
  readonly function: TemplateFunction;
}

export class UnsupportedEventSourceError extends Error {
  constructor(
    readonly logicalId: string,
    reason: string,
  ) {
    super(`event source mapping ${logicalId} is not supported locally: ${reason}`);
    this.name = 'UnsupportedEventSourceError';
  }
}

/** The name a function goes by locally: its construct id (`IngestFunction`), else its logical id. */
export function localFunctionName(fn: TemplateFunction): string {
  return fn.constructPath?.split('/').at(-2) ?? fn.logicalId;
}

export function functionsOf(template: unknown): TemplateFunction[] {
  return resourcesOfType(template, RESOURCE_TYPES.function).map(readFunction);
}

/**
 * The function whose logical id is `search`, or else whose construct path has a segment equal to
 * it (`IngestFunction`), or else contains it; throws `ResourceNotFoundError` unless exactly one does.
 */
export function findFunction(template: unknown, search: string): TemplateFunction {
  return readFunction(findResource(template, search, RESOURCE_TYPES.function));
}

/**
 * The function's environment with every intrinsic resolved through `resources` (usually the
 * `LocalResources` of the created tables and queues), as the strings Lambda would hand it.
 * `functionLogicalId` may also be a construct id, as for `findFunction`.
 */
export function functionEnvironment(
  template: unknown,
  functionLogicalId: string,
  resources: { resolveValue(value: unknown): unknown },
): Record<string, string> {
  const resource = findResource(template, functionLogicalId, RESOURCE_TYPES.function);
  const environment: Record<string, string> = {};
  for (const [name, raw] of Object.entries(readFunction(resource).environment)) {
    const value = resources.resolveValue(raw);
    if (value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new InvalidTemplateError(
        `Resources.${resource.logicalId}.Properties.Environment.Variables.${name}`,
        `expected a string, got ${describeJson(value)}`,
      );
    }
    environment[name] = String(value);
  }
  return environment;
}

/** Every SQS event source mapping; any other kind of source throws, rather than being ignored. */
export function eventSourceMappings(template: unknown): SqsEventSource[] {
  const parsed = readTemplate(template);
  return resourcesOfType(template, RESOURCE_TYPES.eventSourceMapping).map((mapping) => {
    const where = `Resources.${mapping.logicalId}.Properties`;
    const p = mapping.properties;
    const functionLogicalId = mappedFunction(parsed, mapping.logicalId, p.FunctionName);
    const fn = parsed.resources.get(functionLogicalId);
    if (fn === undefined) {
      throw new UnsupportedEventSourceError(mapping.logicalId, 'its function is not in the template');
    }
    const queueLogicalId = mappedQueue(parsed, mapping.logicalId, p.EventSourceArn);
    const responseTypes = (optional(p.FunctionResponseTypes, `${where}.FunctionResponseTypes`, asArray) ?? []).map(
      (type, i) => asString(type, `${where}.FunctionResponseTypes[${i}]`),
    );
    const scaling = optional(p.ScalingConfig, `${where}.ScalingConfig`, asObject);
    const maximumConcurrency = optional(
      scaling?.MaximumConcurrency,
      `${where}.ScalingConfig.MaximumConcurrency`,
      asNumber,
    );
    const filters = optional(
      optional(p.FilterCriteria, `${where}.FilterCriteria`, asObject)?.Filters,
      `${where}.FilterCriteria.Filters`,
      asArray,
    );
    return {
      logicalId: mapping.logicalId,
      functionLogicalId,
      queueLogicalId,
      batchSize: optional(p.BatchSize, `${where}.BatchSize`, asNumber) ?? 10,
      maximumBatchingWindowSeconds:
        optional(p.MaximumBatchingWindowInSeconds, `${where}.MaximumBatchingWindowInSeconds`, asNumber) ?? 0,
      functionResponseTypes: responseTypes,
      reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
      ...(maximumConcurrency !== undefined ? { maximumConcurrency } : {}),
      enabled: optional(p.Enabled, `${where}.Enabled`, asBoolean) ?? true,
      filterPatterns: (filters ?? []).map((filter, i) => {
        const pattern = asObject(filter, `${where}.FilterCriteria.Filters[${i}]`).Pattern;
        return typeof pattern === 'string' ? pattern : JSON.stringify(pattern);
      }),
      function: readFunction(fn),
    };
  });
}

function readFunction(resource: TemplateResource): TemplateFunction {
  const where = `Resources.${resource.logicalId}`;
  const p = resource.properties;
  const environment = optional(p.Environment, `${where}.Properties.Environment`, asObject);
  const text = (value: unknown, path: string): string | undefined => optional(value, path, asString);
  const reservedConcurrency = optional(
    p.ReservedConcurrentExecutions,
    `${where}.Properties.ReservedConcurrentExecutions`,
    asNumber,
  );
  const path = constructPath(resource);
  const handler = text(p.Handler, `${where}.Properties.Handler`);
  const runtime = text(p.Runtime, `${where}.Properties.Runtime`);
  const description = typeof p.Description === 'string' ? p.Description : undefined;
  const assetPath = text(resource.metadata['aws:asset:path'], `${where}.Metadata.aws:asset:path`);
  const logging = optional(p.LoggingConfig, `${where}.Properties.LoggingConfig`, asObject);
  return {
    logicalId: resource.logicalId,
    ...(path !== undefined ? { constructPath: path } : {}),
    ...(handler !== undefined ? { handler } : {}),
    ...(runtime !== undefined ? { runtime } : {}),
    ...(description !== undefined ? { description } : {}),
    timeoutSeconds: optional(p.Timeout, `${where}.Properties.Timeout`, asNumber) ?? 3,
    memoryMb: optional(p.MemorySize, `${where}.Properties.MemorySize`, asNumber) ?? 128,
    ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}),
    environment: optional(environment?.Variables, `${where}.Properties.Environment.Variables`, asObject) ?? {},
    ...(assetPath !== undefined ? { assetPath } : {}),
    logging: {
      format: text(logging?.LogFormat, `${where}.Properties.LoggingConfig.LogFormat`) === 'JSON' ? 'JSON' : 'Text',
      applicationLogLevel: text(logging?.ApplicationLogLevel, `${where}.Properties.LoggingConfig.ApplicationLogLevel`) ?? 'INFO',
      systemLogLevel: text(logging?.SystemLogLevel, `${where}.Properties.LoggingConfig.SystemLogLevel`) ?? 'INFO',
    },
  };
}

/** Follows Ref / GetAtt Arn through aliases and versions to the function resource. */
function mappedFunction(template: Template, mappingId: string, value: unknown): string {
  const target = referencedResource(value);
  const resource = target === undefined ? undefined : template.resources.get(target);
  if (resource?.type === RESOURCE_TYPES.function) return resource.logicalId;
  if (resource?.type === RESOURCE_TYPES.alias || resource?.type === RESOURCE_TYPES.version) {
    return mappedFunction(template, mappingId, resource.properties.FunctionName);
  }
  throw new UnsupportedEventSourceError(
    mappingId,
    `FunctionName ${describeJson(value)} is not a reference to a function of the template`,
  );
}

function mappedQueue(template: Template, mappingId: string, value: unknown): string {
  const target = referencedResource(value);
  if (target !== undefined && template.resources.get(target)?.type === RESOURCE_TYPES.queue) return target;
  throw new UnsupportedEventSourceError(
    mappingId,
    `EventSourceArn ${describeJson(value)} is not the Arn of an SQS queue of the template`,
  );
}

function referencedResource(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string' && getAtt.endsWith('.Arn')) return getAtt.slice(0, -'.Arn'.length);
  return undefined;
}
