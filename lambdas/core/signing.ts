import { createHmac, randomBytes } from 'node:crypto';

/** Standard Webhooks secrets: `whsec_` + base64 of random bytes; the HMAC key is the decoded part. */
export const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

export const generateSecret = (random: (size: number) => Buffer = randomBytes): string =>
  SECRET_PREFIX + random(SECRET_BYTES).toString('base64');

const secretKey = (secret: string): Buffer =>
  Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');

export interface SignInput {
  id: string;
  timestampSeconds: number;
  body: string;
}

/** One `v1,<base64 HMAC-SHA256("id.timestamp.body")>` signature. */
export const signature = (secret: string, { id, timestampSeconds, body }: SignInput): string =>
  'v1,' + createHmac('sha256', secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');

/**
 * The `webhook-signature` header value: one signature per active secret, space-separated, so a
 * receiver that still holds the previous secret keeps verifying during a rotation.
 */
export const signatureHeader = (secrets: readonly string[], input: SignInput): string =>
  secrets.map((secret) => signature(secret, input)).join(' ');
