import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../lambdas/contract/openapi';
import { HANDLER_SOURCE_METADATA } from '../../lib/webhook-fanout';
import { WebhookFanoutStack } from '../../lib/webhook-fanout-stack';
import { createTestApp } from './synth';

const MAX_BUNDLE_BYTES = 2 * 1024 * 1024;

describe('Bundling: WebhookFanout functions', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'webhook-fanout-bundling-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  const bundles: { file: string; source: string; environment: Record<string, unknown> }[] = [];

  it('bundles each function with the local esbuild into one small index.js', () => {
    const app = createTestApp({ bundle: true, outdir });
    const stack = new WebhookFanoutStack(app, 'WebhookFanout');
    app.synth();

    const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as {
      Properties: { Code: { S3Key: string }; Environment?: { Variables?: Record<string, unknown> } };
      Metadata?: Record<string, string>;
    }[];
    expect(functions).toHaveLength(4);
    for (const fn of functions) {
      const assetHash = fn.Properties.Code.S3Key.replace(/\.zip$/, '');
      const bundle = path.join(outdir, `asset.${assetHash}`, 'index.js');
      bundles.push({ file: bundle, source: fn.Metadata?.[HANDLER_SOURCE_METADATA] ?? '', environment: fn.Properties.Environment?.Variables ?? {} });

      expect(existsSync(bundle), `${bundle} exists`).toBe(true);
      expect(statSync(bundle).size).toBeLessThan(MAX_BUNDLE_BYTES);
    }
  });

  it('loads each bundle as Lambda does, and the api bundle answers GET /health and GET /openapi.json', () => {
    // The template's references (table names, queue URLs) stand for resources that do not exist
    // here; loading the handler reads them, and neither /health nor /openapi.json touches them.
    const resolved = (name: string, value: unknown): string =>
      typeof value === 'string' ? value : name.endsWith('_URL') ? 'https://sqs.us-east-1.amazonaws.com/123456789012/placeholder' : 'placeholder';
    expect(bundles).toHaveLength(4);
    for (const { file, source, environment } of bundles) {
      const env = Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, resolved(name, value)]));
      const script = `
        const { handler } = require(${JSON.stringify(file)});
        const get = (path) => handler({ version: '2.0', rawPath: path, rawQueryString: '', headers: {}, isBase64Encoded: false,
          requestContext: { http: { method: 'GET', path }, requestId: 'r', timeEpoch: Date.now() } },
          { awsRequestId: 'r', functionName: 'f', getRemainingTimeInMillis: () => 10000 });
        const probe = process.env.HANDLER_IS_API === '1'
          ? Promise.all([get('/health'), get('/openapi.json')]).then(([health, document]) => JSON.stringify({ health: health.statusCode, document }))
          : Promise.resolve(typeof handler);
        probe.then((result) => process.stdout.write(String(result)), (error) => { process.stderr.write(String(error)); process.exit(1); });`;
      const isApi = source === 'lambdas/api/handler.ts';
      const output = execFileSync(process.execPath, ['-e', script], {
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR', ...env, HANDLER_IS_API: isApi ? '1' : '0' },
        encoding: 'utf8',
      });
      if (!isApi) {
        expect(output, file).toBe('function');
        continue;
      }
      const { health, document } = JSON.parse(output) as { health: number; document: { statusCode: number; headers: Record<string, string>; body: string } };
      expect(health, file).toBe(200);
      expect(document, file).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' } });
      expect(JSON.parse(document.body), `${file}: GET /openapi.json`).toEqual(buildOpenApiDocument());
    }
  });

  it('keeps JSONata out of the api and delivery bundles and ships it beside them, loadable from the asset', () => {
    // One of JSONata's own error messages: in the bundle only if its code is.
    const jsonataCode = 'Dynamic error evaluating the expression passed to function eval';
    const transforming = bundles.filter(({ source }) => source === 'lambdas/api/handler.ts' || source === 'lambdas/delivery/handler.ts');
    expect(transforming).toHaveLength(2);
    for (const { file } of bundles) expect(readFileSync(file, 'utf8').includes(jsonataCode), `${file} holds JSONata's code`).toBe(false);
    for (const { file } of transforming) {
      const assetDir = path.dirname(file);
      expect(readFileSync(path.join(assetDir, 'node_modules', 'jsonata', 'jsonata.js'), 'utf8').includes(jsonataCode), `${assetDir} ships JSONata`).toBe(true);
      const script = `
        const resolved = require.resolve('jsonata', { paths: [${JSON.stringify(assetDir)}] });
        require(resolved)('$sum([1, 2])').evaluate({}).then((sum) => process.stdout.write(JSON.stringify({ resolved, sum })));`;
      const { resolved, sum } = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: tmpdir(), encoding: 'utf8' })) as { resolved: string; sum: number };
      expect(resolved.startsWith(path.join(assetDir, 'node_modules', 'jsonata')), resolved).toBe(true);
      expect(sum).toBe(3);
    }
  });
});
