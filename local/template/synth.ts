import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { addWebhookFanoutStack, STACK_ID } from '../../lib/app';
import { WebhookFanoutStack, type WebhookFanoutStackProps } from '../../lib/webhook-fanout-stack';
import { asObject, isObject, type JsonObject } from './document';

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface SynthTemplateOptions {
  /** @default STACK_ID, the construct id bin/app.ts gives the stack (logical ids of event source mappings include it) */
  readonly stackId?: string;
  readonly props?: WebhookFanoutStackProps;
  /** Extra CDK context, as `-c key=value` would give. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/**
 * Synthesizes the stack in this process and returns its CloudFormation template: the one source of
 * truth for the local runtime. Bundling is skipped (handlers run from source locally) and the
 * built-in CloudFormation validation is off (it costs seconds and `cdk synth` still runs it);
 * the feature flags of cdk.json, construct paths and asset metadata are kept, as `cdk synth`
 * keeps them.
 */
export function synthTemplate(options: SynthTemplateOptions = {}): JsonObject {
  const outdir = mkdtempSync(join(tmpdir(), 'webhook-fanout-synth-'));
  const previousValidation = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const app = new App({
      outdir,
      context: {
        ...projectContext(),
        'aws:cdk:bundling-stacks': [],
        'aws:cdk:enable-path-metadata': true,
        'aws:cdk:enable-asset-metadata': true,
        ...options.context,
      },
    });
    // Without explicit props the app is built exactly as bin/app.ts builds it, context included.
    const stack =
      options.props === undefined && options.stackId === undefined
        ? addWebhookFanoutStack(app)
        : new WebhookFanoutStack(app, options.stackId ?? STACK_ID, options.props);
    const template: unknown = app.synth().getStackByName(stack.stackName).template;
    return asObject(template, '(synthesized)');
  } finally {
    if (previousValidation === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previousValidation;
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The context of cdk.json (feature flags), which `cdk synth` would pass to the app. */
function projectContext(): Record<string, unknown> {
  const cdkJson: unknown = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8'));
  return isObject(cdkJson) && isObject(cdkJson.context) ? { ...cdkJson.context } : {};
}
