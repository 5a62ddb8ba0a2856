import fc from 'fast-check';
import { decodeTime } from 'ulid';
import { describe, expect, it } from 'vitest';
import { createHash, createHmac } from 'node:crypto';
import {
  API_KEY_PREFIX,
  apiKeyMatchesHash,
  generateApiKey,
  generateChecksumSecret,
  hashApiKey,
  keyedTagHolds,
  parseApiKey,
} from '../../../lambdas/core/api-keys';

const KEY_SHAPE = /^wfk_[0-9A-HJKMNP-TV-Z]{26}_[A-Za-z0-9_-]{49}$/;
const KEYED_KEY_SHAPE = /^wfk_[0-9A-HJKMNP-TV-Z]{26}_[A-Za-z0-9_-]{54}$/;
const SECRET = generateChecksumSecret();
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const flipAt = (key: string, index: number, offset: number): string => {
  const alphabet = index < API_KEY_PREFIX.length + 26 ? '0123456789ABCDEFGHJKMNPQRSTVWXYZ' : BASE64URL;
  const current = alphabet.indexOf(key[index]!);
  const replacement = alphabet[(current + 1 + (offset % (alphabet.length - 1))) % alphabet.length]!;
  return key.slice(0, index) + replacement + key.slice(index + 1);
};

describe('Function: generateApiKey', () => {
  it('makes a prefixed key whose id, hash and checksum all agree', () => {
    // Act
    const { key, keyId, hash } = generateApiKey();

    // Assess
    expect(key).toMatch(KEY_SHAPE);
    expect(keyId).toBe(`key_${key.slice(4, 30)}`);
    expect(hash).toBe(hashApiKey(key));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('puts the creation time in the key id', () => {
    // Prepare: later than any earlier call, since ids are monotonic within a process
    const now = Date.UTC(2031, 0, 1);

    // Act
    const { keyId } = generateApiKey({ now });

    // Assess
    expect(decodeTime(keyId.slice(4))).toBe(now);
  });

  it('uses the injected random bytes for the secret', () => {
    // Prepare
    const bytes = Buffer.alloc(32, 7);

    // Act
    const { key } = generateApiKey({ random: () => bytes });

    // Assess
    expect(key.slice(31, 31 + 43)).toBe(bytes.toString('base64url'));
  });
});

describe('Function: parseApiKey', () => {
  it('round-trips a generated key to its key id', () => {
    // Prepare
    const generated = generateApiKey();

    // Act
    const parsed = parseApiKey(generated.key);

    // Assess
    expect(parsed).toEqual({ keyId: generated.keyId, tag: 'unkeyed' });
  });

  it('round-trips every generated key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        // Prepare
        const generated = generateApiKey({ random: () => Buffer.from(bytes) });

        // Act & Assess
        expect(parseApiKey(generated.key)).toEqual({ keyId: generated.keyId, tag: 'unkeyed' });
      }),
    );
  });

  it('refuses a key with any single character changed', () => {
    // Prepare
    const { key } = generateApiKey();

    fc.assert(
      fc.property(fc.integer({ min: API_KEY_PREFIX.length, max: key.length - 1 }), fc.nat(), (index, offset) => {
        // Act
        const tampered = flipAt(key, index, offset);

        // Assess
        expect(tampered).not.toBe(key);
        expect(parseApiKey(tampered)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['the empty string', ''],
    ['a bare prefix', 'wfk_'],
    ['another product\'s key', 'sk_live_51H8abcdefghijklmnopqrstuvwxyz'],
  ])('refuses %s', (_label, value) => {
    // Act & Assess
    expect(parseApiKey(value)).toBeUndefined();
  });

  it('refuses a truncated key, a key with a trailing space and a lower-cased key id', () => {
    // Prepare
    const { key } = generateApiKey();
    const ulid = key.slice(4, 30);

    // Act & Assess
    expect(parseApiKey(key.slice(0, -1))).toBeUndefined();
    expect(parseApiKey(`${key} `)).toBeUndefined();
    expect(parseApiKey(`${key}A`)).toBeUndefined();
    expect(parseApiKey(key.replace(ulid, ulid.toLowerCase()))).toBeUndefined();
  });

  it('never parses a random string, or if it does its checksum holds', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 120 }), fc.string({ unit: fc.constantFrom(...BASE64URL.split('')), minLength: 75, maxLength: 75 }).map((s) => `wfk_${s}`)), (value) => {
        // Act
        const parsed = parseApiKey(value);

        // Assess: a random candidate carries a valid 36-bit checksum with negligible odds
        expect(parsed).toBeUndefined();
      }),
    );
  });
});

describe('Function: keyedTagHolds', () => {
  it('holds for a key made with the checksum secret, which parses as keyed', () => {
    // Prepare
    const { key, keyId } = generateApiKey({ checksumSecret: SECRET });

    // Act & Assess
    expect(key).toMatch(KEYED_KEY_SHAPE);
    expect(parseApiKey(key)).toEqual({ keyId, tag: 'keyed' });
    expect(keyedTagHolds(key, SECRET)).toBe(true);
  });

  it('does not hold for a key made with another secret', () => {
    // Prepare
    const { key } = generateApiKey({ checksumSecret: generateChecksumSecret() });

    // Act & Assess
    expect(keyedTagHolds(key, SECRET)).toBe(false);
  });

  it('does not hold for a tag anyone can compute without the secret', () => {
    // Prepare: the body of a real key, tagged as a forger would: a plain hash, or an HMAC under a guess
    const body = generateApiKey({ checksumSecret: SECRET }).key.slice(0, -11);
    const forgeries = [
      body + createHash('sha256').update(body).digest('base64url').slice(0, 11),
      body + createHmac('sha256', '').update(body).digest('base64url').slice(0, 11),
      body + createHmac('sha256', Buffer.alloc(32)).update(body).digest('base64url').slice(0, 11),
    ];

    // Act & Assess
    for (const forged of forgeries) {
      expect(parseApiKey(forged)?.tag).toBe('keyed');
      expect(keyedTagHolds(forged, SECRET)).toBe(false);
    }
  });

  it('does not hold once any single character of the key changed', () => {
    // Prepare
    const { key } = generateApiKey({ checksumSecret: SECRET });

    fc.assert(
      fc.property(fc.integer({ min: API_KEY_PREFIX.length, max: key.length - 1 }), fc.nat(), (index, offset) => {
        // Act
        const tampered = flipAt(key, index, offset);

        // Assess
        expect(parseApiKey(tampered) !== undefined && keyedTagHolds(tampered, SECRET)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('Function: apiKeyMatchesHash', () => {
  it('is true for the key whose hash was stored', () => {
    // Prepare
    const { key, hash } = generateApiKey();

    // Act & Assess
    expect(apiKeyMatchesHash(key, hash)).toBe(true);
  });

  it('is false for another key, a wrong-length hash or a non-hex hash', () => {
    // Prepare
    const { key, hash } = generateApiKey();
    const other = generateApiKey();

    // Act & Assess
    expect(apiKeyMatchesHash(other.key, hash)).toBe(false);
    expect(apiKeyMatchesHash(key, hash.slice(0, -2))).toBe(false);
    expect(apiKeyMatchesHash(key, '')).toBe(false);
    expect(apiKeyMatchesHash(key, 'z'.repeat(64))).toBe(false);
  });
});
