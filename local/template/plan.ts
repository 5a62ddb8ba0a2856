import { createHash } from 'node:crypto';
import type {
  AttributeDefinition,
  CreateTableCommandInput,
  GlobalSecondaryIndex,
  KeySchemaElement,
  LocalSecondaryIndex,
  Projection,
  StreamViewType,
} from '@aws-sdk/client-dynamodb';
import {
  asArray,
  asBoolean,
  asNumber,
  asObject,
  asString,
  describeJson,
  InvalidTemplateError,
  optional,
  readTemplate,
  referencedLogicalIds,
  RESOURCE_TYPES,
  type JsonObject,
  type TemplateResource,
} from './document';

/**
 * Turns the tables and queues of a template into what the emulators must be asked for. Pure: the
 * only values it cannot know (ARNs of queues created earlier) come in through `resolveValue`.
 */

export interface TimeToLive {
  readonly attributeName: string;
  readonly enabled: boolean;
}

export interface TablePlan {
  readonly kind: 'table';
  readonly logicalId: string;
  readonly type: typeof RESOURCE_TYPES.table | typeof RESOURCE_TYPES.globalTable;
  readonly tableName: string;
  readonly keySchema: KeySchemaElement[];
  readonly attributeDefinitions: AttributeDefinition[];
  readonly globalSecondaryIndexes: GlobalSecondaryIndex[];
  readonly localSecondaryIndexes: LocalSecondaryIndex[];
  readonly streamViewType?: StreamViewType;
  readonly timeToLive?: TimeToLive;
}

export interface QueuePlan {
  readonly kind: 'queue';
  readonly logicalId: string;
  readonly queueName: string;
  readonly fifo: boolean;
  /** The queue's CloudFormation properties, intrinsics unresolved. */
  readonly properties: JsonObject;
  /** Queues of the template this one refers to (its DLQ): they must exist first. */
  readonly dependsOn: readonly string[];
}

export interface ResourcePlan {
  readonly tables: readonly TablePlan[];
  /** In creation order: every queue after the queues it refers to. */
  readonly queues: readonly QueuePlan[];
}

export class CyclicReferenceError extends Error {
  constructor(readonly cycle: readonly string[]) {
    super(`queues refer to each other in a cycle: ${cycle.join(' -> ')}`);
    this.name = 'CyclicReferenceError';
  }
}

export class InvalidNamePrefixError extends Error {
  constructor(prefix: string) {
    super(`namePrefix must contain at least one of [A-Za-z0-9_-], got '${prefix}'`);
    this.name = 'InvalidNamePrefixError';
  }
}

export function planLocalResources(template: unknown, namePrefix: string): ResourcePlan {
  const resources = [...readTemplate(template).resources.values()];
  const tables = resources
    .filter((r) => r.type === RESOURCE_TYPES.table || r.type === RESOURCE_TYPES.globalTable)
    .map((r) => planTable(r, namePrefix));
  const queueResources = resources.filter((r) => r.type === RESOURCE_TYPES.queue);
  const queueIds = new Set(queueResources.map((r) => r.logicalId));
  const queues = queueResources.map((r) => planQueue(r, namePrefix, queueIds));
  return { tables, queues: inDependencyOrder(queues) };
}

const QUEUE_NAME_MAX = 80;
const TABLE_NAME_MAX = 255;
const FIFO_SUFFIX = '.fifo';

/**
 * `${namePrefix}-${logicalId}`, cut to the service's limit. Explicit names in the template are
 * ignored on purpose: prefixes keep several copies of the stack apart in one emulator. A name that
 * must be cut keeps a hash of the whole, because CDK logical ids differ mostly in their last
 * characters.
 */
export function physicalName(namePrefix: string, logicalId: string, kind: 'table' | 'queue', fifo = false): string {
  const prefix = namePrefix.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  if (prefix === '') throw new InvalidNamePrefixError(namePrefix);
  const allowed = kind === 'table' ? /[^A-Za-z0-9_.-]+/g : /[^A-Za-z0-9_-]+/g;
  const full = `${prefix}-${logicalId.replace(allowed, '-')}`;
  const suffix = fifo ? FIFO_SUFFIX : '';
  const max = (kind === 'table' ? TABLE_NAME_MAX : QUEUE_NAME_MAX) - suffix.length;
  if (full.length <= max) return full + suffix;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, max - hash.length - 1)}-${hash}${suffix}`;
}

function planTable(resource: TemplateResource, namePrefix: string): TablePlan {
  const where = `Resources.${resource.logicalId}.Properties`;
  const p = resource.properties;
  const stream = optional(p.StreamSpecification, `${where}.StreamSpecification`, asObject);
  const ttl = optional(p.TimeToLiveSpecification, `${where}.TimeToLiveSpecification`, asObject);
  return {
    kind: 'table',
    logicalId: resource.logicalId,
    type: resource.type === RESOURCE_TYPES.globalTable ? RESOURCE_TYPES.globalTable : RESOURCE_TYPES.table,
    tableName: physicalName(namePrefix, resource.logicalId, 'table'),
    keySchema: readKeySchema(p.KeySchema, `${where}.KeySchema`),
    attributeDefinitions: asArray(p.AttributeDefinitions, `${where}.AttributeDefinitions`).map((raw, i) => {
      const at = `${where}.AttributeDefinitions[${i}]`;
      const definition = asObject(raw, at);
      return {
        AttributeName: asString(definition.AttributeName, `${at}.AttributeName`),
        AttributeType: oneOf(definition.AttributeType, `${at}.AttributeType`, ['S', 'N', 'B'] as const),
      };
    }),
    globalSecondaryIndexes: readIndexes(p.GlobalSecondaryIndexes, `${where}.GlobalSecondaryIndexes`),
    localSecondaryIndexes: readIndexes(p.LocalSecondaryIndexes, `${where}.LocalSecondaryIndexes`),
    ...(stream?.StreamViewType !== undefined && stream.StreamEnabled !== false
      ? {
          streamViewType: oneOf(stream.StreamViewType, `${where}.StreamSpecification.StreamViewType`, [
            'KEYS_ONLY',
            'NEW_IMAGE',
            'OLD_IMAGE',
            'NEW_AND_OLD_IMAGES',
          ] as const),
        }
      : {}),
    ...(ttl !== undefined
      ? {
          timeToLive: {
            attributeName: asString(ttl.AttributeName, `${where}.TimeToLiveSpecification.AttributeName`),
            enabled: asBoolean(ttl.Enabled, `${where}.TimeToLiveSpecification.Enabled`),
          },
        }
      : {}),
  };
}

/**
 * The CreateTable request for a planned table. On-demand always: emulators do not throttle, and
 * provisioned capacity numbers would only add ways to fail. Encryption, point-in-time recovery,
 * replicas and tags are not emulated, so they are left out.
 */
export function createTableInput(plan: TablePlan): CreateTableCommandInput {
  return {
    TableName: plan.tableName,
    KeySchema: plan.keySchema,
    AttributeDefinitions: plan.attributeDefinitions,
    BillingMode: 'PAY_PER_REQUEST',
    ...(plan.globalSecondaryIndexes.length > 0 ? { GlobalSecondaryIndexes: plan.globalSecondaryIndexes } : {}),
    ...(plan.localSecondaryIndexes.length > 0 ? { LocalSecondaryIndexes: plan.localSecondaryIndexes } : {}),
    ...(plan.streamViewType !== undefined
      ? { StreamSpecification: { StreamEnabled: true, StreamViewType: plan.streamViewType } }
      : {}),
  };
}

function readKeySchema(value: unknown, where: string): KeySchemaElement[] {
  return asArray(value, where).map((raw, i) => {
    const element = asObject(raw, `${where}[${i}]`);
    return {
      AttributeName: asString(element.AttributeName, `${where}[${i}].AttributeName`),
      KeyType: oneOf(element.KeyType, `${where}[${i}].KeyType`, ['HASH', 'RANGE'] as const),
    };
  });
}

function readIndexes(value: unknown, where: string): GlobalSecondaryIndex[] {
  if (value === undefined) return [];
  return asArray(value, where).map((raw, i) => {
    const at = `${where}[${i}]`;
    const index = asObject(raw, at);
    return {
      IndexName: asString(index.IndexName, `${at}.IndexName`),
      KeySchema: readKeySchema(index.KeySchema, `${at}.KeySchema`),
      Projection: readProjection(index.Projection, `${at}.Projection`),
    };
  });
}

function readProjection(value: unknown, where: string): Projection {
  const projection = asObject(value, where);
  const type = oneOf(projection.ProjectionType ?? 'KEYS_ONLY', `${where}.ProjectionType`, [
    'ALL',
    'KEYS_ONLY',
    'INCLUDE',
  ] as const);
  const nonKey = optional(projection.NonKeyAttributes, `${where}.NonKeyAttributes`, asArray);
  return {
    ProjectionType: type,
    ...(nonKey !== undefined
      ? { NonKeyAttributes: nonKey.map((name, i) => asString(name, `${where}.NonKeyAttributes[${i}]`)) }
      : {}),
  };
}

function planQueue(resource: TemplateResource, namePrefix: string, queueIds: ReadonlySet<string>): QueuePlan {
  const where = `Resources.${resource.logicalId}.Properties`;
  const fifo = optional(resource.properties.FifoQueue, `${where}.FifoQueue`, asBoolean) ?? false;
  const references = [...referencedLogicalIds(resource.properties)].filter(
    (id) => id !== resource.logicalId && queueIds.has(id),
  );
  return {
    kind: 'queue',
    logicalId: resource.logicalId,
    queueName: physicalName(namePrefix, resource.logicalId, 'queue', fifo),
    fifo,
    properties: resource.properties,
    dependsOn: references,
  };
}

const NUMERIC_QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
] as const;
const TEXT_QUEUE_ATTRIBUTES = ['DeduplicationScope', 'FifoThroughputLimit'] as const;

/**
 * The CreateQueue attributes of a planned queue, as the strings SQS expects. Encryption settings
 * (KmsMasterKeyId, SqsManagedSseEnabled) are left out: the emulator does not encrypt, and the key
 * does not exist locally.
 */
export function queueAttributes(plan: QueuePlan, resolveValue: (value: unknown) => unknown): Record<string, string> {
  const where = `Resources.${plan.logicalId}.Properties`;
  const p = plan.properties;
  const attributes: Record<string, string> = {};
  for (const name of NUMERIC_QUEUE_ATTRIBUTES) {
    if (p[name] !== undefined) attributes[name] = String(asNumber(resolveValue(p[name]), `${where}.${name}`));
  }
  for (const name of TEXT_QUEUE_ATTRIBUTES) {
    if (p[name] !== undefined) attributes[name] = asString(resolveValue(p[name]), `${where}.${name}`);
  }
  // SQS refuses FifoQueue=false on a standard queue, so only a FIFO queue says so.
  if (plan.fifo) attributes.FifoQueue = 'true';
  if (p.ContentBasedDeduplication !== undefined) {
    attributes.ContentBasedDeduplication = String(
      asBoolean(resolveValue(p.ContentBasedDeduplication), `${where}.ContentBasedDeduplication`),
    );
  }
  if (p.RedrivePolicy !== undefined) {
    attributes.RedrivePolicy = JSON.stringify(redrivePolicy(p.RedrivePolicy, `${where}.RedrivePolicy`, resolveValue));
  }
  if (p.RedriveAllowPolicy !== undefined) {
    attributes.RedriveAllowPolicy = JSON.stringify(
      resolveValue(jsonProperty(p.RedriveAllowPolicy, `${where}.RedriveAllowPolicy`)),
    );
  }
  return attributes;
}

export interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly maxReceiveCount: number;
}

function redrivePolicy(value: unknown, where: string, resolveValue: (value: unknown) => unknown): RedrivePolicy {
  const policy = asObject(jsonProperty(value, where), where);
  return {
    deadLetterTargetArn: asString(resolveValue(policy.deadLetterTargetArn), `${where}.deadLetterTargetArn`),
    maxReceiveCount: asNumber(resolveValue(policy.maxReceiveCount), `${where}.maxReceiveCount`),
  };
}

/** Properties of CloudFormation type Json may be written as an object or as a JSON string. */
function jsonProperty(value: unknown, where: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new InvalidTemplateError(where, `expected JSON, got ${describeJson(value)}`);
  }
}

function inDependencyOrder(queues: readonly QueuePlan[]): QueuePlan[] {
  const byId = new Map(queues.map((q) => [q.logicalId, q]));
  const ordered: QueuePlan[] = [];
  const done = new Set<string>();
  const visiting: string[] = [];
  const visit = (queue: QueuePlan): void => {
    if (done.has(queue.logicalId)) return;
    const cycleStart = visiting.indexOf(queue.logicalId);
    if (cycleStart >= 0) throw new CyclicReferenceError([...visiting.slice(cycleStart), queue.logicalId]);
    visiting.push(queue.logicalId);
    for (const id of queue.dependsOn) {
      const dependency = byId.get(id);
      if (dependency !== undefined) visit(dependency);
    }
    visiting.pop();
    done.add(queue.logicalId);
    ordered.push(queue);
  };
  queues.forEach(visit);
  return ordered;
}

function oneOf<const T extends string>(value: unknown, where: string, allowed: readonly T[]): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) {
    throw new InvalidTemplateError(where, `expected one of ${allowed.join(', ')}, got ${describeJson(value)}`);
  }
  return found;
}

