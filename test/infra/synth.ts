import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll } from 'vitest';
import type { IConstruct } from 'constructs';
import { WebhookFanout, type WebhookFanoutProps } from '../../lib/webhook-fanout';
import { WebhookFanoutStack } from '../../lib/webhook-fanout-stack';

// The built-in CloudFormation validation costs seconds per synth and proves nothing these tests check.
process.env.CDK_VALIDATION = 'false';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The feature flags of cdk.json, so tests synthesize what `cdk synth` does. */
function projectContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

export interface TestAppOptions {
  /** Bundle the functions with esbuild; off by default, it is the slow part of a synth. */
  readonly bundle?: boolean;
  /** Where to write the cloud assembly. */
  readonly outdir?: string;
}

/**
 * Where the apps of a test file write their cloud assemblies unless told otherwise, removed after
 * the file's tests: CDK's own default is a new temporary folder per app, left behind.
 */
let assemblies: string | undefined;
const assemblyFolder = (): string => {
  assemblies ??= mkdtempSync(path.join(tmpdir(), 'webhook-fanout-test-synth-'));
  return mkdtempSync(path.join(assemblies, 'app-'));
};
afterAll(() => {
  if (assemblies !== undefined) rmSync(assemblies, { recursive: true, force: true });
  assemblies = undefined;
});

export function createTestApp(options: TestAppOptions = {}): App {
  return new App({
    outdir: options.outdir ?? assemblyFolder(),
    context: {
      ...projectContext(),
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
}

export interface SynthResult {
  readonly stack: WebhookFanoutStack;
  readonly fanout: WebhookFanout;
  readonly template: Template;
}

/** Synthesizes the project's stack, without bundling. */
export function synthStack(props?: WebhookFanoutProps): SynthResult {
  const stack = new WebhookFanoutStack(createTestApp(), 'WebhookFanout', { fanout: props });
  return { stack, fanout: stack.fanout, template: Template.fromStack(stack) };
}

/** Builds a bare construct in a fresh stack; for validation tests, which throw before any synth. */
export function buildConstruct(props?: WebhookFanoutProps, stack = new Stack(createTestApp(), 'Test')): WebhookFanout {
  return new WebhookFanout(stack, 'WebhookFanout', props);
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

export function logicalId(stack: Stack, construct: IConstruct): string {
  const element = construct.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return stack.getLogicalId(element);
}

export function resourcesOfType(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

export function resource(template: Template, id: string): CfnResource {
  const found = (template.toJSON() as { Resources: Record<string, CfnResource> }).Resources[id];
  if (!found) throw new Error(`no resource ${id} in the template`);
  return found;
}

export function actionsOf(statement: PolicyStatement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** Statements of the identity policies attached to a role (inline policies included). */
export function statementsOfRole(template: Template, roleId: string): PolicyStatement[] {
  const fromPolicies = Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement);
  const inline = (resource(template, roleId).Properties.Policies ?? []) as {
    PolicyDocument: { Statement: PolicyStatement[] };
  }[];
  return [...fromPolicies, ...inline.flatMap((policy) => policy.PolicyDocument.Statement)];
}

/** Allowed actions of a role whose statement resources mention the given logical id. */
export function allowedActionsOn(template: Template, roleId: string, targetId: string): string[] {
  return statementsOfRole(template, roleId)
    .filter((statement) => statement.Effect === 'Allow' && JSON.stringify(statement.Resource).includes(`"${targetId}"`))
    .flatMap(actionsOf);
}

/** A VPC the way users bring one (Vpc.fromLookup): imported, so the template holds only this product. */
export function importedVpc(app: App): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(new Stack(app, 'Network'), 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
  });
}

/** The actions, on Resource "*", of the delivery function's role in a VPC (its network interfaces), sorted. */
export const VPC_NETWORK_INTERFACE_ACTIONS = [
  'ec2:AssignPrivateIpAddresses',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:UnassignPrivateIpAddresses',
];
