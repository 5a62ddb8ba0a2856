import ipaddr from 'ipaddr.js';
import type { ApiAnswer } from './log-lines';

/** Subscription creations and changes: the answers that carry a subscription's new URL. */
const SUBSCRIPTION_PATH = /^\/v1\/subscriptions(\/[^/]+)?$/;

/** Names and addresses that mean this machine. */
const isThisMachine = (hostname: string): boolean => {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (!ipaddr.isValid(host)) return false;
  const range = ipaddr.process(host).range();
  return range === 'loopback' || range === 'unspecified';
};

export interface SubscriptionWarning {
  subscriptionId: string;
  warning: string;
}

/**
 * A warning for a subscription just created or changed whose URL is `https://` on this machine:
 * locally that is almost always a plain-HTTP receiver, and then every attempt fails its TLS
 * handshake. Such a receiver may serve TLS on purpose, so nothing is refused. Pure.
 */
export const localHttpsWarning = (answer: ApiAnswer): SubscriptionWarning | undefined => {
  const creates = answer.method === 'POST' && answer.statusCode === 201;
  const changes = answer.method === 'PATCH' && answer.statusCode === 200;
  if (!(creates || changes) || !SUBSCRIPTION_PATH.test(answer.path)) return undefined;
  let id: unknown;
  let url: URL;
  try {
    const subscription = JSON.parse(answer.body) as { id?: unknown; url?: unknown };
    id = subscription.id;
    url = new URL(String(subscription.url));
  } catch {
    return undefined;
  }
  if (typeof id !== 'string' || url.protocol !== 'https:' || !isThisMachine(url.hostname)) return undefined;
  return {
    subscriptionId: id,
    warning:
      `${url.origin} is on this machine and https: the receiver must serve TLS with a certificate Node.js trusts ` +
      `(NODE_EXTRA_CA_CERTS), else every attempt fails with "tls". A plain HTTP receiver needs http://${url.host}${url.pathname}`,
  };
};
