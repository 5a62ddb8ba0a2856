import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
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

/** A sealing key: 32 bytes, derived from the deployment's checksum secret, never stored. */
export type SnapshotKey = Buffer;

const KEY_INFO = 'webhook-fanout subscription snapshot v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The sealing key for a deployment secret: HKDF-SHA256, so the secret itself serves one purpose only. */
export const snapshotKeyFrom = (deploymentSecret: string): SnapshotKey =>
  Buffer.from(hkdfSync('sha256', Buffer.from(deploymentSecret, 'base64url'), Buffer.alloc(0), KEY_INFO, 32));

/** What a snapshot is bound to: opened for any other message, it fails. */
export interface SnapshotContext {
  tenantId: string;
  eventId: string;
  run: string;
}

const associatedData = ({ tenantId, eventId, run }: SnapshotContext): Buffer => Buffer.from(`${tenantId}\u0000${eventId}\u0000${run}`);

/** Fields delivery never uses: left out, so the snapshot stays small. */
const forDelivery = ({ filter: _filter, description: _description, ...subscription }: Subscription): Subscription => subscription;

export const sealSnapshot = (key: SnapshotKey, context: SnapshotContext, snapshot: SubscriptionSnapshot): string => {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData(context));
  const plain = JSON.stringify({ fetchedAt: snapshot.fetchedAt, subscriptions: snapshot.subscriptions.map(forDelivery) });
  const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64');
};

/**
 * The snapshot sealed for this context under this key; undefined for anything else (another key,
 * another message's snapshot, a changed byte), so the caller reads the subscriptions instead.
 */
export const openSnapshot = (key: SnapshotKey, context: SnapshotContext, sealed: string): SubscriptionSnapshot | undefined => {
  const bytes = Buffer.from(sealed, 'base64');
  if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(associatedData(context));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    const parsed = JSON.parse(plain) as SubscriptionSnapshot;
    if (typeof parsed.fetchedAt !== 'number' || !Array.isArray(parsed.subscriptions)) return undefined;
    return parsed;
  } catch {
    return undefined;
  }
};
