import { brotliDecompressSync } from 'node:zlib';
import { OPENAPI_JSON_BROTLI_BASE64 } from './openapi-document.generated';

let text: string | undefined;

/**
 * The body of `GET /openapi.json`, generated from the API's schemas by `npm run openapi` rather
 * than here: generating it would bundle zod's JSON Schema converter and every description and
 * example, and the compressed document costs about 8 KB of the bundle where its JSON would cost
 * about 50 KB. Inflated on the first request and kept; test/unit/contract/openapi.test.ts holds it to
 * what the schemas generate.
 */
export const openApiJson = (): string =>
  (text ??= brotliDecompressSync(Buffer.from(OPENAPI_JSON_BROTLI_BASE64, 'base64')).toString('utf8'));
