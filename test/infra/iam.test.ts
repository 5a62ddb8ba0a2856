import type { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { WebhookFanout, WebhookFanoutProps } from '../../lib/webhook-fanout';
import { WebhookFanoutStack } from '../../lib/webhook-fanout-stack';
import { actionsOf, createTestApp, importedVpc, logicalId, statementsOfRole, VPC_NETWORK_INTERFACE_ACTIONS } from './synth';

/*
 * Every function's role, pinned: per resource, the exact actions the template allows. The lists are
 * the calls the functions' code makes (the stores in lambdas/aws/, the SQS publisher and queue ops,
 * Lambda's poller for the two event source mappings), so a grant wider than that fails here.
 */

type FunctionName = 'ingest' | 'api' | 'fanout' | 'delivery';
/** Resource name (as in `resourceNames`) to its sorted allowed actions. */
type Grants = Record<string, string[]>;

const KEY = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];
const OWN_LOG_GROUP = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const SEND = ['sqs:SendMessage'];
const POLL = ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'];
/** The deployment's checksum settings, which fan-out seals group messages' subscriptions with and delivery opens them with: that item only. */
const CHECKSUM_SETTINGS_ONLY = `apiKeysTable if ${JSON.stringify({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['api-key-checksum'] } })}`;
/** The grants of the default props. */
const DEFAULT_GRANTS: Record<FunctionName, Grants> = {
  ingest: {
    'own log group': OWN_LOG_GROUP,
    key: KEY,
    eventsTable: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    apiKeysTable: ['dynamodb:GetItem'],
    // Inline fan-out (inlineFanoutLimit above 0): one page of the tenant's subscriptions, sent on.
    subscriptionsTable: ['dynamodb:Query'],
    fanoutQueue: SEND,
    deliveryQueue: SEND,
  },
  api: {
    'own log group': OWN_LOG_GROUP,
    key: KEY,
    eventsTable: ['dynamodb:GetItem'],
    subscriptionsTable: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    deliveriesTable: ['dynamodb:BatchGetItem', 'dynamodb:Query'],
    apiKeysTable: ['dynamodb:GetItem'],
    fanoutQueue: SEND,
  },
  fanout: {
    'own log group': OWN_LOG_GROUP,
    key: KEY,
    eventsTable: ['dynamodb:GetItem'],
    subscriptionsTable: ['dynamodb:GetItem', 'dynamodb:Query'],
    deliveriesTable: ['dynamodb:BatchGetItem', 'dynamodb:Query'],
    [CHECKSUM_SETTINGS_ONLY]: ['dynamodb:GetItem'],
    fanoutQueue: [...POLL, ...SEND].sort(),
    fanoutDeadLetterQueue: SEND,
    deliveryQueue: SEND,
  },
  delivery: {
    'own log group': OWN_LOG_GROUP,
    key: KEY,
    eventsTable: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    subscriptionsTable: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    deliveriesTable: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    [CHECKSUM_SETTINGS_ONLY]: ['dynamodb:GetItem'],
    deliveryQueue: [...POLL, ...SEND, 'sqs:ChangeMessageVisibility'].sort(),
    deliveryDeadLetterQueue: SEND,
    fanoutQueue: SEND,
  },
};

function functionsOf(fanout: WebhookFanout) {
  return {
    ingest: fanout.ingestFunction,
    api: fanout.apiFunction,
    fanout: fanout.fanoutFunction,
    delivery: fanout.deliveryFunction,
  } satisfies Record<FunctionName, unknown>;
}

/** Names for the logical ids a statement's resource can point at. */
function resourceNames(stack: Stack, fanout: WebhookFanout): Map<string, string> {
  const named: Record<string, Parameters<typeof logicalId>[1]> = {
    key: fanout.key,
    eventsTable: fanout.eventsTable,
    subscriptionsTable: fanout.subscriptionsTable,
    deliveriesTable: fanout.deliveriesTable,
    apiKeysTable: fanout.apiKeysTable,
    fanoutQueue: fanout.fanoutQueue,
    fanoutDeadLetterQueue: fanout.fanoutDeadLetterQueue,
    deliveryQueue: fanout.deliveryQueue,
    deliveryDeadLetterQueue: fanout.deliveryDeadLetterQueue,
  };
  const names = new Map(Object.entries(named).map(([name, construct]) => [logicalId(stack, construct), name]));
  for (const fn of Object.values(functionsOf(fanout))) names.set(logicalId(stack, fn.logGroup), 'own log group');
  return names;
}

/** The one logical id a statement resource (Ref, Fn::GetAtt, or an Fn::Join around one) names, or '*'. */
function resourceName(resource: unknown, names: Map<string, string>): string {
  if (resource === '*') return '*';
  const ids = [...JSON.stringify(resource).matchAll(/"(?:Ref|Fn::GetAtt)":\s*\[?"([^"]+)"/g)].map((match) => match[1]!);
  if (ids.length !== 1) throw new Error(`statement resource ${JSON.stringify(resource)} names ${ids.length} resources`);
  return names.get(ids[0]!) ?? `unknown ${ids[0]}`;
}

/** A role's allowed actions per resource, read from the template; a condition or a Deny is shown as such. */
function grantsOfRole(template: Template, roleId: string, names: Map<string, string>): Grants {
  const grants: Record<string, Set<string>> = {};
  for (const statement of statementsOfRole(template, roleId)) {
    const qualifier = `${statement.Effect === 'Allow' ? '' : ` (${statement.Effect})`}${statement.Condition ? ` if ${JSON.stringify(statement.Condition)}` : ''}`;
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    for (const resource of resources) {
      const name = `${resourceName(resource, names)}${qualifier}`;
      for (const action of actionsOf(statement)) (grants[name] ??= new Set()).add(action);
    }
  }
  return Object.fromEntries(Object.entries(grants).map(([name, actions]) => [name, [...actions].sort()]));
}

function synthGrants(props: (app: App) => WebhookFanoutProps = () => ({})): Record<FunctionName, Grants> {
  const app = createTestApp();
  const stack = new WebhookFanoutStack(app, 'WebhookFanout', { fanout: props(app) });
  const template = Template.fromStack(stack);
  const names = resourceNames(stack, stack.fanout);
  const functions = functionsOf(stack.fanout);
  return Object.fromEntries(
    Object.entries(functions).map(([name, fn]) => [name, grantsOfRole(template, logicalId(stack, fn.role!), names)]),
  ) as Record<FunctionName, Grants>;
}

/** `grants` with one resource's actions replaced, or the resource removed (undefined). */
function withResource(grants: Grants, resource: string, actions: string[] | undefined): Grants {
  const { [resource]: _replaced, ...rest } = grants;
  return actions === undefined ? rest : { ...rest, [resource]: actions };
}

describe('IAM: each function is allowed exactly the calls its code makes', () => {
  describe('with the default props', () => {
    const grants = synthGrants();

    it.each(Object.keys(DEFAULT_GRANTS) as FunctionName[])('%s function', (name) => {
      expect(grants[name]).toEqual(DEFAULT_GRANTS[name]);
    });
  });

  it('lets the api function write the events table only for the tenant rate limit counters, when the limit is on', () => {
    const grants = synthGrants(() => ({ tenantRateLimitPerSecond: 50 }));

    expect(grants.api).toEqual(withResource(DEFAULT_GRANTS.api, 'eventsTable', ['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    // Ingest updates the events table anyway (idempotency claims); the others are unchanged.
    expect(grants.ingest).toEqual(DEFAULT_GRANTS.ingest);
    expect(grants.fanout).toEqual(DEFAULT_GRANTS.fanout);
    expect(grants.delivery).toEqual(DEFAULT_GRANTS.delivery);
  });

  it('keeps the ingest function away from subscriptions and the delivery queue without inline fan-out', () => {
    const grants = synthGrants(() => ({ inlineFanoutLimit: 0 }));

    expect(grants.ingest).toEqual(
      withResource(withResource(DEFAULT_GRANTS.ingest, 'subscriptionsTable', undefined), 'deliveryQueue', undefined),
    );
    expect(grants.api).toEqual(DEFAULT_GRANTS.api);
  });

  it('adds only the network-interface actions to the delivery function in a VPC', () => {
    const grants = synthGrants((app) => ({ vpc: importedVpc(app), allowedPrivateNetworks: ['10.0.0.0/8'] }));

    expect(grants.delivery).toEqual({ ...DEFAULT_GRANTS.delivery, '*': VPC_NETWORK_INTERFACE_ACTIONS });
    expect(grants.ingest).toEqual(DEFAULT_GRANTS.ingest);
  });
});
