import type { Subscription } from '../core/model';
import { signatureHeader } from '../core/signing';

export const USER_AGENT = 'webhook-fanout/0.1 (+https://github.com/webhook-fanout/webhook-fanout)';

/** The secrets that sign now: the current one, and the previous one until its grace period ends. */
export const signingSecrets = (subscription: Subscription, nowMs: number): string[] => {
  const { current, previous, previousExpiresAt } = subscription.secrets;
  const previousActive = previous !== undefined && previousExpiresAt !== undefined && Date.parse(previousExpiresAt) > nowMs;
  return previousActive ? [current, previous] : [current];
};


/**
 * Standard Webhooks headers. The subscription's own headers go first so that the sender's
 * headers always win, whatever case the subscriber used.
 */
export const webhookHeaders = (
  subscription: Subscription,
  eventId: string,
  body: string,
  nowMs: number,
): Record<string, string> => {
  const timestampSeconds = Math.floor(nowMs / 1000);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(subscription.headers)) headers[name.toLowerCase()] = value;
  return Object.assign(headers, {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': eventId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signatureHeader(signingSecrets(subscription, nowMs), { id: eventId, timestampSeconds, body }),
  });
};
