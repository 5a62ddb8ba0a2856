import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { monotonicUlidFactory } from './ulid';

/**
 * API keys look like `wfk_<26-char ULID>_<43-char secret><6-char checksum>`. The prefix makes a
 * leaked key recognisable to secret scanners, the ULID names the stored record, and the checksum
 * lets malformed or mistyped keys be refused without a database read. Only a hash is stored.
 */
export const API_KEY_PREFIX = 'wfk_';
const ULID_LENGTH = 26;
const SECRET_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
const KEY_PATTERN = new RegExp(
  `^${API_KEY_PREFIX}([0-9A-HJKMNP-TV-Z]{${ULID_LENGTH}})_([A-Za-z0-9_-]{${SECRET_LENGTH}})([A-Za-z0-9_-]{${CHECKSUM_LENGTH}})$`,
);

export const SCOPES = ['events:write', 'subscriptions:write', 'read'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKeyRecord {
  keyId: string;
  tenantId: string;
  scopes: Scope[];
  hash: string;
  createdAt: string;
  revokedAt?: string;
  description?: string;
}

const checksum = (body: string): string =>
  createHash('sha256').update(body).digest('base64url').slice(0, CHECKSUM_LENGTH);

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

const nextUlid = monotonicUlidFactory();

export interface NewApiKey {
  key: string;
  keyId: string;
  hash: string;
}

export const generateApiKey = (now: number = Date.now(), random: (n: number) => Buffer = randomBytes): NewApiKey => {
  const ulid = nextUlid(now);
  const body = `${API_KEY_PREFIX}${ulid}_${random(32).toString('base64url')}`;
  const key = body + checksum(body);
  return { key, keyId: `key_${ulid}`, hash: hashApiKey(key) };
};

/** The key id of a well-formed key whose checksum holds, else undefined (no lookup needed). */
export const parseApiKey = (key: string): { keyId: string } | undefined => {
  const match = KEY_PATTERN.exec(key);
  if (match === null) return undefined;
  const body = key.slice(0, key.length - CHECKSUM_LENGTH);
  if (checksum(body) !== match[3]) return undefined;
  return { keyId: `key_${match[1]}` };
};

export const apiKeyMatchesHash = (key: string, storedHash: string): boolean => {
  const actual = Buffer.from(hashApiKey(key), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
};
