import { isGroupMessage, toMessageBody, type DeliveryQueueMessage } from '../core/messages';
import type { Subscription } from '../core/model';
import { sealSnapshot, type SnapshotKey } from '../core/subscription-snapshot';

/** SQS bills a message (or a batch) per started 64 KiB. */
export const SQS_BILLING_CHUNK_BYTES = 64 * 1024;

const chunksOf = (bytes: number): number => Math.max(1, Math.ceil(bytes / SQS_BILLING_CHUNK_BYTES));
/** What `"sealed":"…",` adds to a message's JSON besides the sealed text. */
const SEALED_FIELD_BYTES = '"sealed":"",'.length;

/**
 * Group messages with their subscriptions sealed in, as read at `fetchedAt`, so delivery needs no
 * read of its own; the messages as they are without a key. A group is left as it was when the seal
 * would make it cost more to send (one more 64 KiB chunk, measured on the body as sent): a read
 * then costs less than the larger message.
 */
export const withSealedSubscriptions = (
  messages: DeliveryQueueMessage[],
  subscriptions: readonly Subscription[],
  key: SnapshotKey | undefined,
  fetchedAt: number,
): DeliveryQueueMessage[] => {
  if (key === undefined) return messages;
  const byId = new Map(subscriptions.map((subscription) => [subscription.id, subscription]));
  return messages.map((message) => {
    if (!isGroupMessage(message)) return message;
    const members = message.subscriptions.map(({ id }) => byId.get(id));
    if (members.some((member) => member === undefined)) return message;
    const sealed = sealSnapshot(key, message, { fetchedAt, subscriptions: members as Subscription[] });
    const bytes = Buffer.byteLength(toMessageBody(message));
    return chunksOf(bytes + SEALED_FIELD_BYTES + sealed.length) === chunksOf(bytes) ? { ...message, sealed } : message;
  });
};
