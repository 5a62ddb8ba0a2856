import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Subscription } from './model';

/**
 * A group message's subscriptions as the fan-out that made it read them, sealed (AES-256-GCM) so
 * that their signing secrets never sit readable in a queue or its dead-letter queue. Delivery opens
 * it and uses these copies as if it had read them itself at `fetchedAt` (the subscription cache's
 * rules apply), so a first attempt needs no read of its own.
 */
export interface SubscriptionSnapshot {
  /** When the read that returned these copies began (epoch ms). */
  fetchedAt: number;
  subscriptions: Subscription[];
}

/** The deployment's sealing key: 32 bytes derived from its checksum secret, never stored. */
export type SnapshotKey = Buffer;

const KEY_INFO = 'webhook-fanout subscription snapshot v1';
const MESSAGE_KEY_INFO = 'webhook-fanout subscription snapshot message key v1';
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = SALT_BYTES + IV_BYTES + TAG_BYTES;
/** An opened snapshot inflates to no more than this: far above ten subscriptions at their limits. */
const MAX_PLAIN_BYTES = 1024 * 1024;

/** The sealing key for a deployment secret: HKDF-SHA256, so the secret itself serves one purpose only. */
export const snapshotKeyFrom = (deploymentSecret: string): SnapshotKey =>
  Buffer.from(hkdfSync('sha256', Buffer.from(deploymentSecret, 'base64url'), Buffer.alloc(0), KEY_INFO, 32));

/**
 * Each seal is made under a key of its own, derived from the deployment's with a random salt: the
 * deployment's key never rotates, and random 96-bit IVs under one key are safe for 2^32 messages only.
 */
const messageKey = (key: SnapshotKey, salt: Buffer): Buffer => Buffer.from(hkdfSync('sha256', key, salt, MESSAGE_KEY_INFO, 32));

/** The message a snapshot is bound to: opened for any other (another owner, event, run or group), it fails. */
export interface SnapshotContext {
  tenantId: string;
  consumerId?: string;
  eventId: string;
  run: string;
  subscriptions: ReadonlyArray<{ id: string; version: number }>;
}

const associatedData = ({ tenantId, consumerId, eventId, run, subscriptions }: SnapshotContext): Buffer =>
  Buffer.from(JSON.stringify([tenantId, consumerId ?? null, eventId, run, subscriptions.map(({ id, version }) => [id, version])]));

/** Fields delivery never uses: left out, so the snapshot stays small. */
const forDelivery = ({ filter: _filter, description: _description, ...subscription }: Subscription): Subscription => subscription;

/** salt | IV | tag | AES-256-GCM of the deflated JSON, in base64. */
export const sealSnapshot = (key: SnapshotKey, context: SnapshotContext, snapshot: SubscriptionSnapshot): string => {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', messageKey(key, salt), iv);
  cipher.setAAD(associatedData(context));
  const plain = deflateRawSync(JSON.stringify({ fetchedAt: snapshot.fetchedAt, subscriptions: snapshot.subscriptions.map(forDelivery) }));
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([salt, iv, cipher.getAuthTag(), sealed]).toString('base64');
};

/**
 * The snapshot sealed for this context under this key; undefined for anything else (another key,
 * another message's snapshot, a changed byte), so the caller reads the subscriptions instead.
 */
export const openSnapshot = (key: SnapshotKey, context: SnapshotContext, sealed: string): SubscriptionSnapshot | undefined => {
  const bytes = Buffer.from(sealed, 'base64');
  if (bytes.length <= HEADER_BYTES) return undefined;
  try {
    const salt = bytes.subarray(0, SALT_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', messageKey(key, salt), bytes.subarray(SALT_BYTES, SALT_BYTES + IV_BYTES));
    decipher.setAAD(associatedData(context));
    decipher.setAuthTag(bytes.subarray(SALT_BYTES + IV_BYTES, HEADER_BYTES));
    const plain = Buffer.concat([decipher.update(bytes.subarray(HEADER_BYTES)), decipher.final()]);
    const parsed = JSON.parse(inflateRawSync(plain, { maxOutputLength: MAX_PLAIN_BYTES }).toString('utf8')) as SubscriptionSnapshot;
    if (typeof parsed.fetchedAt !== 'number' || !Array.isArray(parsed.subscriptions)) return undefined;
    return parsed;
  } catch {
    return undefined;
  }
};
