import {
  createResolver,
  type LocalQueue,
  type LocalResource,
  type LocalTable,
  type ResolverOptions,
} from './template/intrinsics';

export type { LocalQueue, LocalResource, LocalTable } from './template/intrinsics';

/** The tables and queues created for one template, by logical id, and values resolved against them. */
export interface LocalResources {
  readonly byLogicalId: Readonly<Record<string, LocalResource>>;
  /** The table with this logical id; throws `UnknownLocalResourceError` when there is none. */
  table(logicalId: string): LocalTable;
  /** The queue with this logical id; throws `UnknownLocalResourceError` when there is none. */
  queue(logicalId: string): LocalQueue;
  /**
   * Evaluates Ref / Fn::GetAtt / Fn::Join / Fn::Select / Fn::Split / Fn::Sub against these
   * resources: Ref of a table is its name, of a queue its URL; GetAtt answers a queue's Arn,
   * QueueUrl and QueueName and a table's Arn and StreamArn. References to anything else resolve
   * to `unresolved:<reference>` (not an error: a function may carry variables the local runtime
   * never reads), unless the resources were built with `strict`.
   */
  resolveValue(value: unknown): unknown;
}

export class UnknownLocalResourceError extends Error {
  constructor(
    readonly logicalId: string,
    readonly expected: LocalResource['kind'],
  ) {
    super(`no local ${expected} with logical id '${logicalId}'`);
    this.name = 'UnknownLocalResourceError';
  }
}

export function localResources(
  template: unknown,
  byLogicalId: Readonly<Record<string, LocalResource>>,
  options: ResolverOptions = {},
): LocalResources {
  const lookup = (logicalId: string): LocalResource | undefined =>
    Object.hasOwn(byLogicalId, logicalId) ? byLogicalId[logicalId] : undefined;
  return {
    byLogicalId,
    table(logicalId) {
      const resource = lookup(logicalId);
      if (resource?.kind !== 'table') throw new UnknownLocalResourceError(logicalId, 'table');
      return resource;
    },
    queue(logicalId) {
      const resource = lookup(logicalId);
      if (resource?.kind !== 'queue') throw new UnknownLocalResourceError(logicalId, 'queue');
      return resource;
    },
    resolveValue: createResolver(template, lookup, options),
  };
}
