import { beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../lambdas/aws/clients';
import { DynamoApiKeyStore } from '../../lambdas/aws/dynamo-api-key-store';
import { awsRequests } from '../../lambdas/aws/request-counter';
import { generateApiKey, generateChecksumSecret, SCOPES } from '../../lambdas/core/api-keys';
import { issueApiKey, revokeApiKey } from '../../admin/api-keys';
import { startPipeline, type Pipeline } from '../support/pipeline';

/** More distinct keys than either key cache of a function instance holds (1000). */
const FLOOD = 1500;

/**
 * What forged API keys cost the API functions in DynamoDB reads, counted on the wire. A forger can
 * make well-formed keys at will; only a keyed tag made without the deployment's secret can be
 * refused without a read, and no flood may push a valid key out of the cache.
 */
describe('API key reads under a flood of forged keys', () => {
  let pipeline: Pipeline;
  let store: DynamoApiKeyStore;
  let valid: string;
  let older: { key: string; keyId: string };

  const status = async (key: string): Promise<number> => (await pipeline.call('GET', '/v1/subscriptions', { key })).status;
  const reads = (): number => awsRequests.snapshot()['DynamoDB.GetItem'] ?? 0;

  beforeAll(async () => {
    // Cached keys must outlive the flood, however slow the machine.
    pipeline = await startPipeline({ API_KEY_CACHE_SECONDS: '3600' });
    store = new DynamoApiKeyStore(createDynamoClient(), pipeline.env.API_KEYS_TABLE!);
    // A key an earlier version made (unkeyed tag) is in use, so keys of that format stay accepted.
    const made = generateApiKey();
    older = { key: made.key, keyId: made.keyId };
    await store.put({ keyId: made.keyId, tenantId: 'older', scopes: [...SCOPES], hash: made.hash, createdAt: '2025-01-01T00:00:00.000Z' });
    valid = await pipeline.createKey('acme');
    expect(await status(valid)).toBe(200);
    expect(await status(older.key)).toBe(200);
  });

  it('refuses well-formed keys whose keyed tag was made without the secret with no read, and the valid keys stay cached', async () => {
    // Prepare
    const forged = Array.from({ length: FLOOD }, () => generateApiKey({ checksumSecret: generateChecksumSecret() }).key);
    awsRequests.reset();

    // Act
    const statuses = new Set<number>();
    for (const key of forged) statuses.add(await status(key));
    const afterwards = [await status(valid), await status(older.key)];

    // Assess
    expect([...statuses]).toEqual([401]);
    expect(afterwards).toEqual([200, 200]);
    expect(reads()).toBe(0);
  });

  it('reads each forged key of the older format once while it is remembered, and the flood never pushes the valid keys out', async () => {
    // Prepare: keys of the older format are accepted here, so each distinct one costs its look-up
    const forged = Array.from({ length: FLOOD }, () => generateApiKey().key);
    awsRequests.reset();

    // Act
    for (const key of forged) expect(await status(key)).toBe(401);
    const floodReads = reads();
    // The latest misses are remembered: sent again, they cost nothing.
    for (const key of forged.slice(-10)) expect(await status(key)).toBe(401);
    const afterwards = [await status(valid), await status(older.key)];

    // Assess
    expect(floodReads).toBe(FLOOD);
    expect(afterwards).toEqual([200, 200]);
    expect(reads()).toBe(FLOOD);
  });

  it('refuses keys of the older format from the start in a deployment that never had one', async () => {
    // Prepare: an empty table, as a new deployment has
    const fresh = await startPipeline();
    const freshStore = new DynamoApiKeyStore(createDynamoClient(), fresh.env.API_KEYS_TABLE!);

    // Act
    await issueApiKey(freshStore, { tenantId: 'acme', scopes: [...SCOPES] });

    // Assess
    expect((await freshStore.getChecksumSettings())?.unkeyedKeys).toBe('refused');
  });

  it('refuses keys of the older format once the last one in use is revoked', async () => {
    // Act
    const whileInUse = (await store.getChecksumSettings())?.unkeyedKeys;
    const revoked = await revokeApiKey(store, older.keyId);

    // Assess
    expect(whileInUse).toBe('accepted');
    expect(revoked).toEqual({ revoked: true, unkeyedRefused: true });
    expect((await store.getChecksumSettings())?.unkeyedKeys).toBe('refused');
    expect((await store.list()).map((record) => record.keyId)).not.toContain('api-key-checksum');
  });
});
