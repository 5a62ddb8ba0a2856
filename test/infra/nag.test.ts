import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type App, CfnResource, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { WebhookFanoutStack, type WebhookFanoutStackProps } from '../../lib/webhook-fanout-stack';
import {
  actionsOf,
  createTestApp,
  importedVpc,
  logicalId,
  resource,
  resourcesOfType,
  VPC_NETWORK_INTERFACE_ACTIONS,
  type PolicyStatement,
} from './synth';

/*
 * cdk-nag 3 is a CDK policy-validation plugin, no longer an Aspect: findings are not annotations but
 * violations of the plugin's report, and suppressions are `Validations.of(construct).acknowledge()`
 * (one finding id each, e.g. `AwsSolutions-IAM5[Action::kms:ReEncrypt*]`), which apply to the construct
 * and everything below it. `writeSuppressionsToCloudFormation` copies them into each resource's
 * `Metadata.cdk_nag.rules_to_suppress`, the v2 audit format these tests read.
 */

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECURITY_DOC = path.join(PROJECT_ROOT, 'docs', 'security.md');
const MIN_REASON_LENGTH = 20;

interface Suppression {
  readonly id: string;
  readonly reason: string;
}

interface TemplateJson {
  readonly Metadata?: Record<string, unknown>;
  readonly Resources: Record<string, { Type: string; Metadata?: { cdk_nag?: { rules_to_suppress?: Suppression[] } } }>;
}

interface Nagged {
  readonly app: App;
  readonly stack: WebhookFanoutStack;
  readonly template: Template;
  readonly json: TemplateJson;
  /** Unacknowledged findings, one line each. */
  readonly findings: string[];
}

const variants = {
  defaults: (): WebhookFanoutStackProps => ({}),
  'vpc with an allowed private network': (app: App): WebhookFanoutStackProps => ({
    fanout: { vpc: importedVpc(app), allowedPrivateNetworks: ['10.0.0.0/8'] },
  }),
  'alarm e-mails on a topic of its own': (): WebhookFanoutStackProps => ({
    alarmNotifications: { emails: ['ops@example.com'] },
  }),
} satisfies Record<string, (app: App) => WebhookFanoutStackProps>;
type Variant = keyof typeof variants;

function synthWithNag(variant: Variant): Nagged {
  const app = createTestApp();
  const checks = new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true });
  const stack = new WebhookFanoutStack(app, 'WebhookFanout', variants[variant](app));
  const template = Template.fromStack(stack);
  const findings = checks
    .validateScope(app)
    .violations.flatMap((violation) =>
      violation.violatingResources.map(
        (at) => `${violation.ruleName} (${violation.severity}) at ${at.constructPath}: ${violation.description}`,
      ),
    );
  return { app, stack, template, json: template.toJSON() as TemplateJson, findings };
}

const nagged = Object.fromEntries(
  (Object.keys(variants) as Variant[]).map((variant) => [variant, synthWithNag(variant)]),
) as Record<Variant, Nagged>;

/** Suppressions as the template records them, per logical id. */
function templateSuppressions(json: TemplateJson): { logicalId: string; suppression: Suppression }[] {
  return Object.entries(json.Resources).flatMap(([id, res]) =>
    (res.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((suppression) => ({ logicalId: id, suppression })),
  );
}

/** Every construct that carries an acknowledgment, with the finding ids it acknowledges. */
function acknowledgingConstructs(root: IConstruct): { construct: IConstruct; ids: string[] }[] {
  return root.node
    .findAll()
    .map((construct) => ({
      construct,
      ids: construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.keys(entry.data as Record<string, string>))
        .map((id) => id.replace(/^annotation::/i, '')),
    }))
    .filter(({ ids }) => ids.length > 0);
}

function tableCells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

/**
 * The rule ids of the allow-list in docs/security.md: the one markdown table with a "rule id" column.
 * A cell holds one or more ids as code spans (or one id as plain text).
 */
function allowListedRuleIds(): string[] {
  const lines = readFileSync(SECURITY_DOC, 'utf8').split('\n');
  const tables: string[][] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    if (line.trim().startsWith('|')) {
      if (current === undefined) tables.push((current = []));
      current.push(line);
    } else {
      current = undefined;
    }
  }
  const allowLists = tables.filter(([header]) => tableCells(header ?? '').some((cell) => /^rule id$/i.test(cell)));
  if (allowLists.length !== 1) {
    throw new Error(`docs/security.md needs exactly one table with a "rule id" column; found ${allowLists.length}`);
  }
  const [header = '', , ...rows] = allowLists[0]!;
  const column = tableCells(header).findIndex((cell) => /^rule id$/i.test(cell));
  return rows.flatMap((row) => {
    const cell = tableCells(row)[column] ?? '';
    const spans = [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!.trim());
    return spans.length > 0 ? spans : [cell].filter((text) => text !== '');
  });
}

/** Every statement of every identity policy, standalone or inline in a role, with the resource holding it. */
function allStatements(template: Template): { owner: string; statement: PolicyStatement }[] {
  const policies = Object.entries(resourcesOfType(template, 'AWS::IAM::Policy')).flatMap(([id, policy]) =>
    (policy.Properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement.map((statement) => ({
      owner: id,
      statement,
    })),
  );
  const inline = Object.entries(resourcesOfType(template, 'AWS::IAM::Role')).flatMap(([id, role]) =>
    ((role.Properties.Policies ?? []) as { PolicyDocument: { Statement: PolicyStatement[] } }[]).flatMap((policy) =>
      policy.PolicyDocument.Statement.map((statement) => ({ owner: id, statement })),
    ),
  );
  return [...policies, ...inline];
}

describe('Security: cdk-nag AwsSolutions checks', () => {
  describe.each(Object.keys(nagged) as Variant[])('Stack: WebhookFanout with %s', (variant) => {
    const { app, stack, json } = nagged[variant];

    it('reports no unacknowledged finding, error or warning', () => {
      expect(nagged[variant].findings).toEqual([]);
    });

    it('acknowledges findings on the resource they concern, never stack-wide', () => {
      const misplaced = acknowledgingConstructs(app)
        .filter(({ construct }) => !CfnResource.isCfnResource(construct))
        .map(({ construct, ids }) => `${construct.node.path || '<app>'}: ${ids.join(', ')}`);

      expect(misplaced).toEqual([]);
      expect(json.Metadata?.cdk_nag).toBeUndefined();
      expect(stack.node.metadata.filter((entry) => entry.type === 'cdk_nag')).toEqual([]);
      expect(acknowledgingConstructs(app).length).toBeGreaterThan(0);
    });

    it('lists every acknowledged rule in the allow-list of docs/security.md', () => {
      const allowed = new Set(allowListedRuleIds());
      const missing = templateSuppressions(json)
        .filter(({ suppression }) => !allowed.has(suppression.id))
        .map(({ logicalId: id, suppression }) => `${suppression.id} on ${id}`);

      expect(missing, 'add these rule ids to the allow-list table of docs/security.md').toEqual([]);
    });

    it(`gives every acknowledgment a reason of at least ${MIN_REASON_LENGTH} characters`, () => {
      const suppressions = templateSuppressions(json);
      const terse = suppressions
        .filter(({ suppression }) => (suppression.reason ?? '').trim().length < MIN_REASON_LENGTH)
        .map(({ logicalId: id, suppression }) => `${suppression.id} on ${id}: "${suppression.reason}"`);

      expect(suppressions.length).toBeGreaterThan(0);
      expect(terse).toEqual([]);
    });

    it('uses no managed policies: each function writes to its own log group only', () => {
      const { template } = nagged[variant];
      const roles = resourcesOfType(template, 'AWS::IAM::Role');
      const functions = Object.values(resourcesOfType(template, 'AWS::Lambda::Function'));

      for (const role of Object.values(roles)) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(functions).toHaveLength(4);
      for (const fn of functions) {
        const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        const logGroup = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
        const logStatements = allStatements(template).filter(
          ({ owner, statement }) =>
            actionsOf(statement).some((action) => action.startsWith('logs:')) &&
            JSON.stringify(resource(template, owner).Properties.Roles ?? [{ Ref: owner }]).includes(`"${roleId}"`),
        );

        expect(logStatements.map(({ statement }) => statement)).toEqual([
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
          },
        ]);
      }
    });

    it('keeps wildcard actions to kms:GenerateDataKey* and kms:ReEncrypt* on the one key', () => {
      const { template } = nagged[variant];
      const keyArn = { 'Fn::GetAtt': [logicalId(stack, stack.fanout.key), 'Arn'] };
      const wildcards = allStatements(template).filter(({ statement }) =>
        actionsOf(statement).some((action) => action.includes('*')),
      );

      expect(wildcards.length).toBeGreaterThan(0);
      for (const { statement } of wildcards) {
        expect(actionsOf(statement).filter((action) => action.includes('*')).sort()).toEqual([
          'kms:GenerateDataKey*',
          'kms:ReEncrypt*',
        ]);
        expect(statement.Resource).toEqual(keyArn);
      }
    });

    it('allows Resource "*" only for the network interfaces of a delivery function in a VPC', () => {
      const { template } = nagged[variant];
      const deliveryRole = logicalId(stack, stack.fanout.deliveryFunction.role!);
      const anyResource = allStatements(template).filter(({ statement }) =>
        JSON.stringify(statement.Resource).includes('"*"'),
      );
      const expected =
        variant !== 'vpc with an allowed private network'
          ? []
          : [
              {
                owner: deliveryRole,
                actions: VPC_NETWORK_INTERFACE_ACTIONS,
              },
            ];

      expect(anyResource.map(({ owner, statement }) => ({ owner, actions: actionsOf(statement).sort() }))).toEqual(
        expected,
      );
    });
  });

  it('allow-lists in docs/security.md only rules the stack acknowledges', () => {
    const acknowledged = new Set(
      Object.values(nagged).flatMap(({ json }) => templateSuppressions(json).map(({ suppression }) => suppression.id)),
    );
    const stale = allowListedRuleIds().filter((id) => !acknowledged.has(id));

    expect(stale, 'remove these rows from the allow-list table of docs/security.md').toEqual([]);
  });

  it('lets synthesis pass with the checks registered as a CDK validation plugin', () => {
    const app = createTestApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
    new WebhookFanoutStack(app, 'WebhookFanout');

    // An unacknowledged error-level finding fails synthesis with the full report.
    expect(() => app.synth()).not.toThrow();
  });
});
