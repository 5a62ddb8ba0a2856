import { apiKeyMatchesHash, parseApiKey, type ApiKeyRecord, type Scope } from '../core/api-keys';
import { HttpError } from '../core/errors';
import type { ApiKeyStore } from '../core/ports';

export interface Principal {
  tenantId: string;
  keyId: string;
  scopes: readonly Scope[];
}

interface CacheEntry {
  record: ApiKeyRecord | undefined;
  expiresAt: number;
}

const MAX_CACHE_ENTRIES = 1000;

const unauthorized = (message: string) =>
  new HttpError(401, 'unauthorized', message, { 'www-authenticate': 'Bearer' });

/**
 * Turns an `Authorization: Bearer <key>` header into a principal. Malformed keys fail their
 * checksum and cost no read; look-ups are cached for `cacheSeconds`, which is therefore how long a
 * revocation can take to apply.
 */
export class Authenticator {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly cacheSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (authorization === undefined) throw unauthorized('an Authorization: Bearer <api key> header is required');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const key = match?.[1];
    const parsed = key === undefined ? undefined : parseApiKey(key);
    if (key === undefined || parsed === undefined) throw unauthorized('the API key is malformed');
    const record = await this.lookup(parsed.keyId);
    if (record === undefined || record.revokedAt !== undefined || !apiKeyMatchesHash(key, record.hash)) {
      throw unauthorized('the API key is not valid');
    }
    return { tenantId: record.tenantId, keyId: record.keyId, scopes: record.scopes };
  }

  private async lookup(keyId: string): Promise<ApiKeyRecord | undefined> {
    const now = this.now();
    const cached = this.cache.get(keyId);
    if (cached !== undefined && cached.expiresAt > now) return cached.record;
    const record = await this.store.get(keyId);
    if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(keyId, { record, expiresAt: now + this.cacheSeconds * 1000 });
    return record;
  }
}

export const requireScope = (principal: Principal, scope: Scope): void => {
  if (!principal.scopes.includes(scope)) {
    throw new HttpError(403, 'forbidden', `this API key lacks the "${scope}" scope`);
  }
};
