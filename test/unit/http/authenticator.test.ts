import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateApiKey, generateChecksumSecret, parseApiKey, type ApiKeyChecksumSettings, type Scope } from '../../../lambdas/core/api-keys';
import { HttpError } from '../../../lambdas/core/errors';
import { Authenticator, requireScope, type Principal } from '../../../lambdas/http/authenticator';
import { InMemoryApiKeyStore } from '../../kit/fakes';
import { rejectionOf } from '../../kit/expectations';

const CACHE_SECONDS = 30;

const SECRET = generateChecksumSecret();

const setUp = async (options: { scopes?: Scope[]; revokedAt?: string; unkeyedKeys?: ApiKeyChecksumSettings['unkeyedKeys'] } = {}) => {
  const store = new InMemoryApiKeyStore();
  store.settings = { secret: SECRET, unkeyedKeys: options.unkeyedKeys ?? 'accepted', createdAt: '2026-01-01T00:00:00.000Z' };
  const { key, keyId, hash } = generateApiKey({ checksumSecret: SECRET });
  await store.put({
    keyId,
    tenantId: 'tenant-1',
    scopes: options.scopes ?? ['events:write', 'read'],
    hash,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...(options.revokedAt === undefined ? {} : { revokedAt: options.revokedAt }),
  });
  const clock = { now: 1_000_000 };
  const authenticator = new Authenticator(store, CACHE_SECONDS, () => clock.now);
  return { store, key, keyId, clock, authenticator };
};

describe('Class: Authenticator', () => {
  describe('Method: authenticate', () => {
    it('turns a valid key into its principal', async () => {
      // Prepare
      const { authenticator, key, keyId } = await setUp();

      // Act
      const principal = await authenticator.authenticate(`Bearer ${key}`);

      // Assess
      expect(principal).toEqual({ tenantId: 'tenant-1', keyId, scopes: ['events:write', 'read'] });
    });

    it('reads a key once for a burst of requests that all carry it before it is cached', async () => {
      // Prepare
      const { authenticator, key, store } = await setUp();

      // Act
      const principals = await Promise.all(Array.from({ length: 50 }, () => authenticator.authenticate(`Bearer ${key}`)));

      // Assess
      expect(principals.every((principal) => principal.tenantId === 'tenant-1')).toBe(true);
      expect(store.reads).toBe(1);
    });

    it('accepts the scheme in any case and surrounding whitespace', async () => {
      // Prepare
      const { authenticator, key } = await setUp();

      // Act
      const principal = await authenticator.authenticate(`bearer   ${key}  `);

      // Assess
      expect(principal.tenantId).toBe('tenant-1');
    });

    it('answers 401 with a Bearer challenge when the header is missing', async () => {
      // Prepare
      const { authenticator, store } = await setUp();

      // Act
      const error = await rejectionOf(authenticator.authenticate(undefined));

      // Assess
      expect(error.statusCode).toBe(401);
      expect(error.code).toBe('unauthorized');
      expect(error.headers['www-authenticate']).toBe('Bearer');
      expect(store.reads).toBe(0);
    });

    it('answers 401 for a malformed key without reading the store', async () => {
      // Prepare
      const { authenticator, store, key } = await setUp();
      const malformed = [
        '',
        'Bearer',
        'Bearer ',
        'Basic dXNlcjpwYXNz',
        `Token ${key}`,
        key,
        `Bearer ${key.slice(0, -1)}`,
        `Bearer ${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`,
        `Bearer ${key} extra`,
        'Bearer wfk_not-a-key',
      ];

      // Act
      const errors = await Promise.all(malformed.map((header) => rejectionOf(authenticator.authenticate(header))));

      // Assess
      for (const error of errors) expect(error.statusCode).toBe(401);
      expect(store.reads).toBe(0);
    });

    it('answers 401 for a revoked key', async () => {
      // Prepare
      const { authenticator, key } = await setUp({ revokedAt: '2026-02-01T00:00:00.000Z' });

      // Act
      const error = await rejectionOf(authenticator.authenticate(`Bearer ${key}`));

      // Assess
      expect(error.statusCode).toBe(401);
    });

    it('answers 401 bearer_scheme_required, saying what to send, for a key without the Bearer scheme', async () => {
      // Prepare
      const { authenticator, store, key } = await setUp();

      // Act
      const bare = await rejectionOf(authenticator.authenticate(key));
      const basic = await rejectionOf(authenticator.authenticate('Basic dXNlcjpwYXNz'));

      // Assess
      for (const error of [bare, basic]) {
        expect(error.statusCode).toBe(401);
        expect(error.code).toBe('bearer_scheme_required');
        expect(error.message).toContain('Authorization: Bearer <api key>');
        expect(error.headers['www-authenticate']).toBe('Bearer');
      }
      expect(bare.message).toContain('without its scheme');
      expect(store.reads).toBe(0);
    });

    it('refuses a well-formed key whose keyed tag was not made with the checksum secret, without a read', async () => {
      // Prepare: the id of a real key, with a tag made under another secret
      const { authenticator, store, keyId } = await setUp();
      const forged = generateApiKey({ checksumSecret: generateChecksumSecret() }).key;
      const sameId = `wfk_${keyId.slice(4)}${forged.slice(30)}`;

      // Act
      const errors = [await rejectionOf(authenticator.authenticate(`Bearer ${forged}`)), await rejectionOf(authenticator.authenticate(`Bearer ${sameId}`))];

      // Assess
      for (const error of errors) expect(error.message).toBe('the API key is not valid');
      expect(store.reads).toBe(0);
    });

    it('refuses every keyed key without a read while the deployment has no checksum settings', async () => {
      // Prepare
      const { authenticator, store, key } = await setUp();
      store.settings = undefined;

      // Act
      const error = await rejectionOf(authenticator.authenticate(`Bearer ${key}`));

      // Assess
      expect(error.statusCode).toBe(401);
      expect(store.reads).toBe(0);
    });

    it('reads the checksum settings once, and again only after a minute', async () => {
      // Prepare
      const { authenticator, store, key, clock } = await setUp();

      // Act
      await Promise.all([authenticator.authenticate(`Bearer ${key}`), authenticator.authenticate(`Bearer ${key}`)]);
      clock.now += 59_000;
      await authenticator.authenticate(`Bearer ${key}`);
      const withinAMinute = store.settingsReads;
      clock.now += 1_000;
      await authenticator.authenticate(`Bearer ${key}`);

      // Assess
      expect(withinAMinute).toBe(1);
      expect(store.settingsReads).toBe(2);
    });

    it('looks up a key of the older, unkeyed format while such keys are accepted', async () => {
      // Prepare
      const { authenticator, store } = await setUp();
      const older = generateApiKey();
      await store.put({ keyId: older.keyId, tenantId: 'tenant-2', scopes: ['read'], hash: older.hash, createdAt: '2025-01-01T00:00:00.000Z' });

      // Act
      const principal = await authenticator.authenticate(`Bearer ${older.key}`);

      // Assess
      expect(principal.tenantId).toBe('tenant-2');
      expect(store.reads).toBe(1);
    });

    it('refuses a key of the older format without a read once such keys are refused, saying so', async () => {
      // Prepare
      const { authenticator, store } = await setUp({ unkeyedKeys: 'refused' });
      const older = generateApiKey();
      await store.put({ keyId: older.keyId, tenantId: 'tenant-2', scopes: ['read'], hash: older.hash, createdAt: '2025-01-01T00:00:00.000Z' });

      // Act
      const error = await rejectionOf(authenticator.authenticate(`Bearer ${older.key}`));

      // Assess
      expect(error.statusCode).toBe(401);
      expect(error.message).toContain('older format');
      expect(store.reads).toBe(0);
    });

    it('keeps a valid key cached through a flood of distinct unknown keys', async () => {
      // Prepare: the valid key is cached; then more unknown ids than the cache holds are looked up
      const { authenticator, store, key } = await setUp();
      await authenticator.authenticate(`Bearer ${key}`);
      const unknown = Array.from({ length: 1500 }, () => generateApiKey().key);
      for (const stranger of unknown) await rejectionOf(authenticator.authenticate(`Bearer ${stranger}`));
      const readsBefore = store.reads;

      // Act
      const principal = await authenticator.authenticate(`Bearer ${key}`);

      // Assess
      expect(readsBefore).toBe(1 + unknown.length);
      expect(principal.tenantId).toBe('tenant-1');
      expect(store.reads).toBe(readsBefore);
    });

    it('remembers an unknown key id for cacheSeconds', async () => {
      // Prepare
      const { authenticator, store } = await setUp();
      const stranger = generateApiKey().key;
      await rejectionOf(authenticator.authenticate(`Bearer ${stranger}`));

      // Act
      await rejectionOf(authenticator.authenticate(`Bearer ${stranger}`));

      // Assess
      expect(store.reads).toBe(1);
    });

    it('answers 401 for an unknown key id', async () => {
      // Prepare
      const { authenticator, store } = await setUp();
      const stranger = generateApiKey({ checksumSecret: SECRET });

      // Act
      const error = await rejectionOf(authenticator.authenticate(`Bearer ${stranger.key}`));

      // Assess
      expect(error.statusCode).toBe(401);
      expect(store.reads).toBe(1);
    });

    it('answers 401 for a well-formed key with the right id and a wrong secret', async () => {
      // Prepare: the same id with another secret and an unkeyed checksum that holds (such keys are accepted here), so only the hash can refuse it
      const { authenticator, store, key, keyId } = await setUp();
      const body = `${key.slice(0, 31)}${randomBytes(32).toString('base64url')}`;
      const forged = body + createHash('sha256').update(body).digest('base64url').slice(0, 6);
      expect(parseApiKey(forged)).toEqual({ keyId, tag: 'unkeyed' });

      // Act
      const error = await rejectionOf(authenticator.authenticate(`Bearer ${forged}`));

      // Assess
      expect(error.statusCode).toBe(401);
      expect(error.message).toContain('not valid');
      expect(store.reads).toBe(1);
    });

    it('serves a second look-up within cacheSeconds from memory', async () => {
      // Prepare
      const { authenticator, store, key, clock } = await setUp();
      await authenticator.authenticate(`Bearer ${key}`);

      // Act
      clock.now += (CACHE_SECONDS - 1) * 1000;
      const principal = await authenticator.authenticate(`Bearer ${key}`);

      // Assess
      expect(principal.tenantId).toBe('tenant-1');
      expect(store.reads).toBe(1);
    });

    it('reads the store again once the cache entry expired, and so sees a revocation', async () => {
      // Prepare
      const { authenticator, store, key, keyId, clock } = await setUp();
      await authenticator.authenticate(`Bearer ${key}`);
      const stored = (await store.get(keyId))!;
      await store.put({ ...stored, revokedAt: '2026-02-01T00:00:00.000Z' });
      const readsBefore = store.reads;

      // Act
      const stillCached = await authenticator.authenticate(`Bearer ${key}`);
      clock.now += CACHE_SECONDS * 1000;
      const error = await rejectionOf(authenticator.authenticate(`Bearer ${key}`));

      // Assess
      expect(stillCached.tenantId).toBe('tenant-1');
      expect(error.statusCode).toBe(401);
      expect(store.reads).toBe(readsBefore + 1);
    });

    it('reads the store every time when cacheSeconds is 0', async () => {
      // Prepare
      const { store, key } = await setUp();
      const authenticator = new Authenticator(store, 0, () => 5);

      // Act
      await authenticator.authenticate(`Bearer ${key}`);
      await authenticator.authenticate(`Bearer ${key}`);

      // Assess
      expect(store.reads).toBe(2);
    });
  });
});

describe('Function: requireScope', () => {
  const principal: Principal = { tenantId: 't', keyId: 'key_1', scopes: ['read'] };

  it('lets a principal with the scope through', () => {
    expect(() => requireScope(principal, 'read')).not.toThrow();
  });

  it('answers 403 naming the missing scope', () => {
    // Act
    let caught: unknown;
    try {
      requireScope(principal, 'events:write');
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(caught).toBeInstanceOf(HttpError);
    expect((caught as HttpError).statusCode).toBe(403);
    expect((caught as HttpError).code).toBe('forbidden');
    expect((caught as HttpError).message).toContain('events:write');
  });
});
