import { generateApiKey, generateChecksumSecret, SCOPES, type ApiKeyChecksumSettings, type Scope } from '../lambdas/core/api-keys';
import type { ApiKeyAdminStore } from '../lambdas/core/ports';

export class InvalidScopeError extends Error {
  override name = 'InvalidScopeError';
}

export const parseScopes = (value: string | undefined): Scope[] => {
  if (value === undefined || value.trim() === '' || value.trim() === 'all') return [...SCOPES];
  const scopes = value.split(',').map((s) => s.trim());
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new InvalidScopeError(`unknown scope(s) ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`);
  }
  return scopes as Scope[];
};

const TENANT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether any key that is not revoked carries the unkeyed tag of earlier versions. */
const hasActiveUnkeyedKeys = async (store: ApiKeyAdminStore): Promise<boolean> =>
  (await store.list()).some((record) => record.revokedAt === undefined && record.tag !== 'keyed');

/**
 * The deployment's checksum settings, made with its first keyed key: a new random secret, and
 * unkeyed keys accepted only if some are in use (a new deployment refuses them from the start).
 */
const checksumSettings = async (store: ApiKeyAdminStore, now: number): Promise<ApiKeyChecksumSettings> => {
  const stored = await store.getChecksumSettings();
  if (stored !== undefined) return stored;
  const settings: ApiKeyChecksumSettings = {
    secret: generateChecksumSecret(),
    unkeyedKeys: (await hasActiveUnkeyedKeys(store)) ? 'accepted' : 'refused',
    createdAt: new Date(now).toISOString(),
  };
  if (await store.createChecksumSettings(settings)) return settings;
  // Another operator made them first: use theirs.
  return (await store.getChecksumSettings())!;
};

/**
 * Creates an API key for a tenant and stores only its hash. The key itself is returned once, to
 * be shown to the operator, and cannot be recovered afterwards.
 */
export const issueApiKey = async (
  store: ApiKeyAdminStore,
  input: { tenantId: string; scopes: Scope[]; description?: string; now?: number },
): Promise<{ key: string; keyId: string; tenantId: string; scopes: Scope[] }> => {
  if (!TENANT_PATTERN.test(input.tenantId)) {
    throw new InvalidScopeError(`tenant "${input.tenantId}" must be 1..64 letters, digits, "_" or "-"`);
  }
  const now = input.now ?? Date.now();
  const { secret } = await checksumSettings(store, now);
  const { key, keyId, hash } = generateApiKey({ checksumSecret: secret, now });
  await store.put({
    keyId,
    tenantId: input.tenantId,
    scopes: input.scopes,
    hash,
    createdAt: new Date(now).toISOString(),
    tag: 'keyed',
    ...(input.description === undefined ? {} : { description: input.description }),
  });
  return { key, keyId, tenantId: input.tenantId, scopes: input.scopes };
};

/**
 * Revokes a key; false when there is no such key. Once no key with the unkeyed tag is left in
 * use, such keys are refused from then on without a read (`unkeyedRefused`).
 */
export const revokeApiKey = async (
  store: ApiKeyAdminStore,
  keyId: string,
  now: number = Date.now(),
): Promise<{ revoked: boolean; unkeyedRefused: boolean }> => {
  if (!(await store.revoke(keyId, new Date(now).toISOString()))) return { revoked: false, unkeyedRefused: false };
  const settings = await store.getChecksumSettings();
  if (settings?.unkeyedKeys !== 'accepted' || (await hasActiveUnkeyedKeys(store))) return { revoked: true, unkeyedRefused: false };
  await store.refuseUnkeyedKeys();
  return { revoked: true, unkeyedRefused: true };
};
