import {
  API_KEY_PREFIX,
  apiKeyMatchesHash,
  keyedTagHolds,
  parseApiKey,
  type ApiKeyChecksumSettings,
  type ApiKeyRecord,
  type ParsedApiKey,
  type Scope,
} from '../core/api-keys';
import { HttpError } from '../core/errors';
import type { ApiKeyStore } from '../core/ports';
import { ExpiringCache } from './expiring-cache';

export interface Principal {
  tenantId: string;
  keyId: string;
  scopes: readonly Scope[];
}

/** Per cache: keys found, and key ids found missing, each this many at most. */
const MAX_CACHE_ENTRIES = 1000;
/** How often the checksum settings are read again, so a change to them shows within a minute. */
const CHECKSUM_SETTINGS_MAX_AGE_MS = 60_000;

const NOT_VALID = 'the API key is not valid';

const unauthorized = (message: string, code = 'unauthorized') =>
  new HttpError(401, code, message, { 'www-authenticate': 'Bearer' });

/** The key of an `Authorization: Bearer <key>` header; a clear 401 for any other header. */
const bearerKey = (authorization: string | undefined): string => {
  const [scheme, ...rest] = (authorization ?? '').trim().split(/\s+/);
  if (scheme === undefined || scheme === '') throw unauthorized('an Authorization: Bearer <api key> header is required');
  if (scheme.toLowerCase() !== 'bearer') {
    throw unauthorized(
      scheme.startsWith(API_KEY_PREFIX) && rest.length === 0
        ? 'the Authorization header holds the API key without its scheme: send Authorization: Bearer <api key>'
        : 'the Authorization header must use the Bearer scheme: send Authorization: Bearer <api key>',
      'bearer_scheme_required',
    );
  }
  if (rest.length !== 1) throw unauthorized('the API key is malformed');
  return rest[0]!;
};

/**
 * Turns an `Authorization: Bearer <key>` header into a principal. A malformed key, and a keyed key
 * whose tag does not hold under the deployment's checksum secret, are refused without a read.
 * Look-ups are cached for `cacheSeconds`, which is therefore how long a revocation can take to
 * apply; keys found and key ids found missing are cached apart, so a flood of unknown keys can
 * never push a valid key out.
 */
export class Authenticator {
  private readonly found = new ExpiringCache<ApiKeyRecord>(MAX_CACHE_ENTRIES);
  private readonly missing = new ExpiringCache<true>(MAX_CACHE_ENTRIES);
  private settings: { value: ApiKeyChecksumSettings | undefined; readAt: number } | undefined;
  private settingsRead: Promise<ApiKeyChecksumSettings | undefined> | undefined;
  /** Reads in flight, by key id. */
  private readonly reading = new Map<string, Promise<ApiKeyRecord | undefined>>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly cacheSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const key = bearerKey(authorization);
    const parsed = parseApiKey(key);
    if (parsed === undefined) throw unauthorized('the API key is malformed');
    await this.refuseWithoutRead(key, parsed);
    const record = await this.lookup(parsed.keyId);
    if (record === undefined || record.revokedAt !== undefined || !apiKeyMatchesHash(key, record.hash)) {
      throw unauthorized(NOT_VALID);
    }
    return { tenantId: record.tenantId, keyId: record.keyId, scopes: record.scopes };
  }

  private async refuseWithoutRead(key: string, parsed: ParsedApiKey): Promise<void> {
    const settings = await this.checksumSettings();
    if (parsed.tag === 'keyed') {
      if (settings === undefined || !keyedTagHolds(key, settings.secret)) throw unauthorized(NOT_VALID);
    } else if (settings?.unkeyedKeys === 'refused') {
      throw unauthorized('this API key has the older format this deployment no longer accepts; ask for a new key');
    }
  }

  /** The deployment's checksum settings, read at most once a minute (the ingest function's snapshot key shares them). */
  async checksumSettings(): Promise<ApiKeyChecksumSettings | undefined> {
    const now = this.now();
    if (this.settings !== undefined && now - this.settings.readAt < CHECKSUM_SETTINGS_MAX_AGE_MS) return this.settings.value;
    this.settingsRead ??= this.store.getChecksumSettings().finally(() => {
      this.settingsRead = undefined;
    });
    const value = await this.settingsRead;
    this.settings = { value, readAt: now };
    return value;
  }

  private async lookup(keyId: string): Promise<ApiKeyRecord | undefined> {
    const now = this.now();
    const cached = this.found.get(keyId, now);
    if (cached !== undefined || this.missing.get(keyId, now) !== undefined) return cached;
    // A burst of requests with one key that is not cached yet shares one read.
    let read = this.reading.get(keyId);
    if (read === undefined) {
      read = this.store.get(keyId).finally(() => this.reading.delete(keyId));
      this.reading.set(keyId, read);
    }
    const record = await read;
    const expiresAt = now + this.cacheSeconds * 1000;
    if (record === undefined) this.missing.set(keyId, true, expiresAt);
    else this.found.set(keyId, record, expiresAt);
    return record;
  }
}

export const requireScope = (principal: Principal, scope: Scope): void => {
  if (!principal.scopes.includes(scope)) {
    throw new HttpError(403, 'forbidden', `this API key lacks the "${scope}" scope`);
  }
};
