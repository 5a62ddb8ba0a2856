import { generateApiKey, SCOPES, type Scope } from '../lambdas/core/api-keys';
import type { ApiKeyStore } from '../lambdas/core/ports';

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

/**
 * Creates an API key for a tenant and stores only its hash. The key itself is returned once, to
 * be shown to the operator, and cannot be recovered afterwards.
 */
export const issueApiKey = async (
  store: ApiKeyStore,
  input: { tenantId: string; scopes: Scope[]; description?: string; now?: number },
): Promise<{ key: string; keyId: string; tenantId: string; scopes: Scope[] }> => {
  if (!TENANT_PATTERN.test(input.tenantId)) {
    throw new InvalidScopeError(`tenant "${input.tenantId}" must be 1..64 letters, digits, "_" or "-"`);
  }
  const now = input.now ?? Date.now();
  const { key, keyId, hash } = generateApiKey(now);
  await store.put({
    keyId,
    tenantId: input.tenantId,
    scopes: input.scopes,
    hash,
    createdAt: new Date(now).toISOString(),
    ...(input.description === undefined ? {} : { description: input.description }),
  });
  return { key, keyId, tenantId: input.tenantId, scopes: input.scopes };
};
