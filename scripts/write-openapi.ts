/**
 * `npm run openapi`: writes the OpenAPI document generated from the zod schemas of the API to
 * docs/openapi.json, for readers, and to lambdas/api/openapi-document.generated.ts, compressed, for
 * the api function to serve at `GET /openapi.json`. test/unit/contract/openapi.test.ts fails when
 * either is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';
import { buildOpenApiDocument, renderOpenApiJson } from '../lambdas/contract/openapi';

const write = (relative: string, contents: string): void => {
  const target = fileURLToPath(new URL(relative, import.meta.url));
  writeFileSync(target, contents);
  console.log(`wrote ${target}`);
};

const compressed = (text: string): string =>
  brotliCompressSync(text, {
    params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: text.length },
  }).toString('base64');

write('../docs/openapi.json', renderOpenApiJson());
write(
  '../lambdas/api/openapi-document.generated.ts',
  '// Written by `npm run openapi` (scripts/write-openapi.ts); do not edit.\n' +
    '/** The OpenAPI document as compact JSON, brotli-compressed, in base64: what lambdas/api/openapi-document.ts serves. */\n' +
    `export const OPENAPI_JSON_BROTLI_BASE64 =\n  '${compressed(JSON.stringify(buildOpenApiDocument()))}';\n`,
);
