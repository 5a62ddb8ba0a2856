import type { z } from 'zod';
import type {
  consumerDeletedResponseSchema,
  consumerDisabledResponseSchema,
  consumerEnabledResponseSchema,
  consumerResponseSchema,
  deliveryResponseSchema,
  eventResponseSchema,
  publishEventResponseSchema,
  subscriptionResponseSchema,
} from '../lambdas/contract/response-schemas';
import { memberText, readJsonStructure } from '../lambdas/core/json-text';
import { fieldList, textTable } from './table';

/* How the CLI shows the API's answers to people; `--json` prints the answers as they came. */

export type Subscription = z.infer<typeof subscriptionResponseSchema>;
export type Delivery = z.infer<typeof deliveryResponseSchema>;
export type EventView = z.infer<typeof eventResponseSchema>;
export type AcceptedEvent = z.infer<typeof publishEventResponseSchema>;
export type Consumer = z.infer<typeof consumerResponseSchema>;
export type ConsumerDeleted = z.infer<typeof consumerDeletedResponseSchema>;
export type ConsumerDisabled = z.infer<typeof consumerDisabledResponseSchema>;
export type ConsumerEnabled = z.infer<typeof consumerEnabledResponseSchema>;

/** `1 subscription`, `2 subscriptions`. */
const subscriptionCount = (count: number): string => `${count} ${count === 1 ? 'subscription' : 'subscriptions'}`;

const stateOf = (subscription: Subscription): string =>
  subscription.enabled ? 'enabled' : `disabled${subscription.disabledReason === undefined ? '' : ` (${subscription.disabledReason})`}`;

/** The endpoint's circuit in a few words: `closed`, `closed (2 failures in a row)`, `open since ...`. */
export const circuitOf = (subscription: Subscription): string => {
  const { circuit } = subscription;
  if (circuit === undefined) return '';
  if (circuit.state === 'open') return `open since ${circuit.since ?? '?'}, next probe ${circuit.nextProbeAt ?? '?'}`;
  return circuit.consecutiveFailures > 0 ? `closed (${circuit.consecutiveFailures} without an answer in a row)` : 'closed';
};

export const subscriptionTable = (items: Subscription[]): string =>
  items.length === 0
    ? 'no subscriptions'
    : textTable(
        ['ID', 'STATE', 'CIRCUIT', 'EVENT TYPES', 'URL', 'DESCRIPTION'],
        items.map((item) => [item.id, stateOf(item), item.circuit?.state ?? '', item.eventTypes.join(','), item.url, item.description ?? '']),
      );

export const subscriptionDetails = (subscription: Subscription): string =>
  fieldList([
    ['id', subscription.id],
    ['consumer', subscription.consumerId],
    ['url', subscription.url],
    ['event types', subscription.eventTypes.join(', ')],
    ['filter', subscription.filter === undefined ? undefined : JSON.stringify(subscription.filter)],
    ['state', stateOf(subscription)],
    ['disabled at', subscription.disabledAt],
    ['circuit', circuitOf(subscription)],
    ['last error', subscription.circuit?.lastError === undefined ? undefined : `${subscription.circuit.lastError} (${subscription.circuit.lastFailureAt ?? '?'})`],
    ['description', subscription.description],
    ['headers', Object.keys(subscription.headers ?? {}).length > 0 ? Object.entries(subscription.headers ?? {}).map(([name, value]) => `${name}: ${value}`).join('; ') : undefined],
    ['rate limit', subscription.rateLimitPerSecond === undefined ? undefined : `${subscription.rateLimitPerSecond}/s`],
    ['transformation', subscription.transformation],
    ['created', subscription.createdAt],
    ['updated', subscription.updatedAt],
    ['secret', subscription.secret],
  ]);

/** Metadata as `key=value` pairs, comma-separated, in key order (the API keeps no order). */
const metadataText = (metadata: Record<string, string>): string =>
  Object.entries(metadata)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');

export const consumerTable = (items: Consumer[]): string =>
  items.length === 0
    ? 'no consumers'
    : textTable(
        ['ID', 'NAME', 'METADATA', 'CREATED'],
        items.map((item) => [item.id, item.name ?? '', metadataText(item.metadata), item.createdAt]),
      );

export const consumerDetails = (consumer: Consumer): string =>
  fieldList([
    ['id', consumer.id],
    ['name', consumer.name],
    ['metadata', Object.keys(consumer.metadata).length > 0 ? metadataText(consumer.metadata) : undefined],
    ['created', consumer.createdAt],
    ['updated', consumer.updatedAt],
  ]);

/** What a deleted consumer took with it: `deleted cus_acme and its 2 subscriptions`. */
export const consumerDeletedLine = (id: string, deleted: ConsumerDeleted): string => `deleted ${id} and its ${subscriptionCount(deleted.subscriptionsDeleted)}`;

/** A second line when some of the consumer's subscriptions are disabled for another reason (neither disable nor enable changes them). */
const otherReasonsLine = (count: number, text: (subscriptions: string) => string): string => (count === 0 ? '' : `\n${text(subscriptionCount(count))}`);

/** `disabled 2 subscriptions of cus_acme`, and a line on those disabled already for another reason. */
export const consumerDisabledLine = (id: string, result: ConsumerDisabled): string =>
  `disabled ${subscriptionCount(result.subscriptionsDisabled)} of ${id}` +
  otherReasonsLine(result.subscriptionsDisabledForOtherReasons, (n) => `${n} disabled already for another reason kept that reason`);

/** `enabled 2 subscriptions of cus_acme`, and a line on those that stay disabled, saying how to enable one. */
export const consumerEnabledLine = (id: string, result: ConsumerEnabled): string =>
  `enabled ${subscriptionCount(result.subscriptionsEnabled)} of ${id}` +
  otherReasonsLine(
    result.subscriptionsDisabledForOtherReasons,
    (n) => `${n} disabled for another reason stayed disabled: enable one with subscriptions update <id> --enabled true`,
  );

/**
 * An accepted event in a line, and a second naming the subscriptions it matched when the API says
 * (it does when ingest fanned the event out itself; it names the first 10).
 */
const BROADCAST_NOTE = ", broadcast to the tenant's own subscriptions and every consumer's";

export const acceptedEventText = (accepted: AcceptedEvent): string => {
  const line = `accepted ${accepted.id} (${accepted.type}) at ${accepted.createdAt}${accepted.broadcast ? BROADCAST_NOTE : ''}`;
  const { matched } = accepted;
  if (matched === undefined) return line;
  const more = matched.count > matched.subscriptionIds.length ? `, ${matched.count - matched.subscriptionIds.length} more` : '';
  const ids = matched.subscriptionIds.length > 0 ? `: ${matched.subscriptionIds.join(', ')}${more}` : '';
  return `${line}\nmatched ${subscriptionCount(matched.count)}${ids}`;
};

/** The note that goes with a secret shown once (to standard error, beside the result). */
export const SECRET_SHOWN_ONCE = 'Store the secret now: it is shown only once.';

/** The last attempt in a few words: `200 in 42 ms`, `503 throttled`, `timeout`. */
export const lastAttempt = (delivery: Delivery): string => {
  const last = delivery.attemptLog.at(-1);
  if (last === undefined) return '';
  const status = last.statusCode === undefined ? '' : String(last.statusCode);
  const why = last.outcome === 'delivered' ? `in ${Math.round(last.durationMs)} ms` : (last.reason ?? last.error ?? 'failed');
  return [status, why].filter(Boolean).join(' ');
};

export const deliveryTable = (items: Delivery[]): string =>
  items.length === 0
    ? 'no deliveries'
    : textTable(
        ['EVENT', 'SUBSCRIPTION', 'TYPE', 'STATUS', 'ATTEMPTS', 'LAST', 'LAST ATTEMPT', 'NEXT ATTEMPT'],
        items.map((item) => [
          item.eventId,
          item.subscriptionId,
          item.eventType,
          item.status,
          String(item.attempts),
          lastAttempt(item),
          item.lastAttemptAt ?? '',
          item.nextAttemptAt ?? '',
        ]),
      );

/** One line per change of a delivery, as `tail` prints them. */
export const deliveryLine = (delivery: Delivery): string =>
  [
    delivery.updatedAt,
    delivery.eventId,
    delivery.subscriptionId,
    delivery.eventType,
    delivery.status,
    `attempt ${delivery.attempts}`,
    lastAttempt(delivery),
    delivery.nextAttemptAt === undefined ? '' : `next ${delivery.nextAttemptAt}`,
  ]
    .filter(Boolean)
    .join('  ');

/** Statuses in the order a delivery passes through them. */
const STATUS_ORDER = ['pending', 'retrying', 'delivered', 'exhausted', 'skipped'] as const;

/** The `data` member of an event as the API sent it: its exact text, numbers not rounded by JSON.parse. */
export const eventDataText = (eventJson: string): string | undefined => memberText(eventJson, readJsonStructure(eventJson), 'data');

/** An event and its deliveries counted by status; `dataText` is its data as published (eventDataText). */
export const eventDetails = (event: EventView, dataText: string | undefined): string => {
  const { complete, ...counts } = event.deliveries;
  const summary = STATUS_ORDER.filter((status) => counts[status] !== undefined)
    .map((status) => `${status} ${counts[status]}`)
    .join(', ');
  return fieldList([
    ['id', event.id],
    ['type', event.type],
    ['created', event.createdAt],
    ['broadcast', event.broadcast ? "yes: to the tenant's own subscriptions and every consumer's" : undefined],
    ['deliveries', `${summary || 'none yet'}${complete ? '' : event.broadcast ? " (the tenant's own subscriptions only)" : ' (first 1000 subscriptions only)'}`],
    ['data', dataText],
  ]);
};
