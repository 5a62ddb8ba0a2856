import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { monotonicUlidFactory } from './ulid';

/**
 * API keys look like `wfk_<26-char ULID>_<43-char secret><tag>`. The prefix makes a leaked key
 * recognisable to secret scanners, the ULID names the stored record, and the tag lets keys be
 * refused without a database read. Only a hash of the whole key is stored.
 *
 * Two tags exist, told apart by their length:
 * - keyed (11 characters): an HMAC-SHA256 of the rest under the deployment's checksum secret.
 *   Nobody without that secret can make one that holds, so a forged key costs no read.
 * - unkeyed (6 characters): a plain SHA-256 of the rest, what earlier versions made. It catches
 *   typing mistakes only: anyone can compute it, so such a key costs a read while they are accepted.
 */
export const API_KEY_PREFIX = 'wfk_';
const ULID_LENGTH = 26;
const SECRET_LENGTH = 43;
const TAG_LENGTHS = { keyed: 11, unkeyed: 6 } as const;
const BODY_PATTERN = `${API_KEY_PREFIX}([0-9A-HJKMNP-TV-Z]{${ULID_LENGTH}})_[A-Za-z0-9_-]{${SECRET_LENGTH}}`;
const KEY_PATTERN = new RegExp(`^(${BODY_PATTERN})([A-Za-z0-9_-]{${TAG_LENGTHS.unkeyed}}|[A-Za-z0-9_-]{${TAG_LENGTHS.keyed}})$`);

export const SCOPES = ['events:write', 'subscriptions:write', 'read'] as const;
export type Scope = (typeof SCOPES)[number];

/** Which tag a key carries; see the module comment. */
export type ApiKeyTag = keyof typeof TAG_LENGTHS;

export interface ApiKeyRecord {
  keyId: string;
  tenantId: string;
  scopes: Scope[];
  hash: string;
  createdAt: string;
  revokedAt?: string;
  description?: string;
  /** `keyed` for keys with a keyed tag; absent on keys earlier versions made (unkeyed). */
  tag?: 'keyed';
}

/** The deployment's checksum secret: 32 random bytes, base64url. */
export type ChecksumSecret = string;

/**
 * One record per deployment, in the API keys table, made with the first keyed key. The functions
 * read it once per execution environment and again at most once a minute.
 */
export interface ApiKeyChecksumSettings {
  secret: ChecksumSecret;
  /** Whether keys with an unkeyed tag are looked up (`accepted`) or refused without a read. */
  unkeyedKeys: 'accepted' | 'refused';
  createdAt: string;
}

const unkeyedTag = (body: string): string =>
  createHash('sha256').update(body).digest('base64url').slice(0, TAG_LENGTHS.unkeyed);

const keyedTag = (body: string, secret: ChecksumSecret): string =>
  createHmac('sha256', Buffer.from(secret, 'base64url')).update(body).digest('base64url').slice(0, TAG_LENGTHS.keyed);

export const generateChecksumSecret = (random: (n: number) => Buffer = randomBytes): ChecksumSecret =>
  random(32).toString('base64url');

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

const nextUlid = monotonicUlidFactory();

export interface NewApiKey {
  key: string;
  keyId: string;
  hash: string;
}

export interface ApiKeyOptions {
  /** Makes a keyed key under this secret; without it the key is unkeyed (for a local pipeline). */
  checksumSecret?: ChecksumSecret;
  now?: number;
  random?: (n: number) => Buffer;
}

export const generateApiKey = ({ checksumSecret, now = Date.now(), random = randomBytes }: ApiKeyOptions = {}): NewApiKey => {
  const ulid = nextUlid(now);
  const body = `${API_KEY_PREFIX}${ulid}_${random(32).toString('base64url')}`;
  const key = body + (checksumSecret === undefined ? unkeyedTag(body) : keyedTag(body, checksumSecret));
  return { key, keyId: `key_${ulid}`, hash: hashApiKey(key) };
};

export interface ParsedApiKey {
  keyId: string;
  tag: ApiKeyTag;
}

/**
 * The key id and tag kind of a well-formed key, else undefined. An unkeyed tag is checked here;
 * a keyed one needs the deployment's secret: `keyedTagHolds`.
 */
export const parseApiKey = (key: string): ParsedApiKey | undefined => {
  const match = KEY_PATTERN.exec(key);
  if (match === null) return undefined;
  const [, body, ulid, tag] = match as unknown as [string, string, string, string];
  if (tag.length === TAG_LENGTHS.keyed) return { keyId: `key_${ulid}`, tag: 'keyed' };
  return unkeyedTag(body) === tag ? { keyId: `key_${ulid}`, tag: 'unkeyed' } : undefined;
};

/** Whether a keyed key's tag was made with this secret (constant time). */
export const keyedTagHolds = (key: string, secret: ChecksumSecret): boolean => {
  const body = key.slice(0, -TAG_LENGTHS.keyed);
  return equalInConstantTime(Buffer.from(keyedTag(body, secret)), Buffer.from(key.slice(-TAG_LENGTHS.keyed)));
};

export const apiKeyMatchesHash = (key: string, storedHash: string): boolean =>
  equalInConstantTime(Buffer.from(hashApiKey(key), 'hex'), Buffer.from(storedHash, 'hex'));

const equalInConstantTime = (actual: Buffer, expected: Buffer): boolean =>
  actual.length === expected.length && timingSafeEqual(actual, expected);
