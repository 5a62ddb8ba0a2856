import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import type { WebhookFanoutStackProps } from '../../lib/webhook-fanout-stack';
import { awsClientConfig, localAwsEnvironment, sqsClientConfig, type DynamoKind } from '../../local/emulators';
import type { LocalResources } from '../../local/local-resources';
import type { JsonObject } from '../../local/template/document';
import {
  eventSourceMappings,
  findFunction,
  functionEnvironment,
  functionsOf,
  type SqsEventSource,
  type TemplateFunction,
} from '../../local/template/functions';
import { createTemplateResources } from '../../local/template/resources';

/**
 * What test files import to reach the emulators that test/support/global-setup.ts started once
 * for the run. Every helper builds clients the one way (local/emulators.ts), and every set of
 * resources gets its own name prefix, so test files running in parallel never share a queue.
 */

export interface LocalEndpoints {
  readonly sqsEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly dynamoKind: DynamoKind;
}

let namedEndpoints: LocalEndpoints | undefined;

/**
 * Outside a vitest run (a script such as `npm run chaos`) there is nothing to `inject`: the script
 * starts the emulators itself and names them here, before any other helper of this file runs.
 */
export function useLocalEndpoints(endpoints: LocalEndpoints): void {
  namedEndpoints = endpoints;
  clients = undefined;
}

export function localEndpoints(): LocalEndpoints {
  if (namedEndpoints !== undefined) return namedEndpoints;
  return {
    sqsEndpoint: inject('sqsEndpoint'),
    dynamoEndpoint: inject('dynamoEndpoint'),
    dynamoKind: inject('dynamoKind'),
  };
}

/** AWS_REGION, dummy credentials and AWS_ENDPOINT_URL_* for code that builds its own clients. */
export function localEnvironment(): Record<string, string> {
  return localAwsEnvironment(localEndpoints());
}

export interface LocalClients {
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBClient;
}

let clients: LocalClients | undefined;

/** SDK clients for the emulators, one pair per worker process. */
export function localClients(): LocalClients {
  if (clients === undefined) {
    const { sqsEndpoint, dynamoEndpoint } = localEndpoints();
    clients = {
      sqs: new SQSClient(sqsClientConfig(sqsEndpoint)),
      dynamo: new DynamoDBClient(awsClientConfig(dynamoEndpoint)),
    };
  }
  return clients;
}

/** A name prefix no other test file (or earlier call) uses: `t-<label>-<random>`. */
export function uniquePrefix(label = 'test'): string {
  const safeLabel = label.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 20);
  return `t-${safeLabel}-${randomBytes(4).toString('hex')}`;
}

/** Creates every table and queue of any template (a fixture, a mutated copy) under a fresh prefix. */
export function createResourcesFromTemplate(
  template: unknown,
  prefix: string = uniquePrefix(),
): Promise<LocalResources> {
  const { sqs, dynamo } = localClients();
  return createTemplateResources(template, { sqs, dynamo, namePrefix: prefix });
}

let defaultTemplate: Promise<JsonObject> | undefined;

/**
 * The synthesized template of the stack: with default props once per worker, with other props
 * anew. The CDK is imported only here, so files that just need clients do not pay for it.
 */
export async function stackTemplate(props?: WebhookFanoutStackProps): Promise<JsonObject> {
  const synth = async (): Promise<JsonObject> => {
    const { synthTemplate } = await import('../../local/template/synth');
    return synthTemplate(props === undefined ? {} : { props });
  };
  if (props !== undefined) return synth();
  defaultTemplate ??= synth();
  return defaultTemplate;
}

export interface StackResources extends LocalResources {
  readonly prefix: string;
  readonly template: JsonObject;
  readonly functions: readonly TemplateFunction[];
  readonly eventSources: readonly SqsEventSource[];
  /** The function whose construct path contains `search` ('IngestFunction', 'ApiFunction', ...). */
  functionNamed(search: string): TemplateFunction;
  /**
   * That function's environment as Lambda would see it, tables and queues resolved to the ones
   * created here. It holds the deployed defaults (e.g. WEBHOOK_ALLOW_HTTP=false): spread local
   * overrides over it where a test needs them.
   */
  envForFunction(search: string): Record<string, string>;
}

export interface CreateStackResourcesOptions {
  /** @default a fresh `uniquePrefix('stack')` */
  readonly prefix?: string;
  /** Build the stack with these props instead of the defaults (synthesized anew, not cached). */
  readonly props?: WebhookFanoutStackProps;
}

/**
 * Synthesizes the real stack (cached per worker for default props) and creates all its tables and
 * queues in the emulators under a prefix of their own.
 */
export async function createStackResources(
  prefixOrOptions: string | CreateStackResourcesOptions = {},
): Promise<StackResources> {
  const options = typeof prefixOrOptions === 'string' ? { prefix: prefixOrOptions } : prefixOrOptions;
  const prefix = options.prefix ?? uniquePrefix('stack');
  const template = await stackTemplate(options.props);
  const resources = await createResourcesFromTemplate(template, prefix);
  return {
    ...resources,
    prefix,
    template,
    functions: functionsOf(template),
    eventSources: eventSourceMappings(template),
    functionNamed: (search) => findFunction(template, search),
    envForFunction: (search) => functionEnvironment(template, findFunction(template, search).logicalId, resources),
  };
}
