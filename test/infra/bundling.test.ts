import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { WebhookFanoutStack } from '../../lib/webhook-fanout-stack';
import { createTestApp } from './synth';

const MAX_BUNDLE_BYTES = 2 * 1024 * 1024;

describe('Bundling: WebhookFanout functions', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'webhook-fanout-bundling-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('bundles each function with the local esbuild into one small index.js', () => {
    const app = createTestApp({ bundle: true, outdir });
    const stack = new WebhookFanoutStack(app, 'WebhookFanout');
    app.synth();

    const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as {
      Properties: { Code: { S3Key: string } };
    }[];
    expect(functions).toHaveLength(4);
    for (const fn of functions) {
      const assetHash = fn.Properties.Code.S3Key.replace(/\.zip$/, '');
      const bundle = path.join(outdir, `asset.${assetHash}`, 'index.js');

      expect(existsSync(bundle), `${bundle} exists`).toBe(true);
      expect(statSync(bundle).size).toBeLessThan(MAX_BUNDLE_BYTES);
    }
  });
});
