/**
 * `npm run openapi`: writes docs/openapi.json from the zod schemas of the API (the same document
 * `GET /openapi.json` serves). test/unit/core/openapi.test.ts fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderOpenApiJson } from '../lambdas/core/openapi';

const target = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
writeFileSync(target, renderOpenApiJson());
console.log(`wrote ${target}`);
