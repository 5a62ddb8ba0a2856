import type { FanoutMessage } from '../core/messages';
import type { ConsumerReader, FanoutBatchPublisher, FanoutPublisher } from '../core/ports';
import { walkPages } from './paged-publish';

export interface BroadcastDeps {
  consumers: Pick<ConsumerReader, 'list'>;
  fanout: FanoutPublisher & FanoutBatchPublisher;
  /** Consumers read per page (one fan-out message each). */
  pageSize: number;
  /** Pages handled before the rest of the consumers is handed to a continuation message. */
  maxPagesPerInvocation: number;
}

/** How far one invocation took a broadcast through the tenant's consumers. */
export interface ConsumerWalk {
  /** Consumers sent a fan-out message of their own. */
  consumers: number;
  /** Where the continuation message carries on, when there are more. */
  consumerCursor?: string;
}

/** The event of a broadcast message as an ordinary fan-out message: to the tenant's own subscriptions. */
export const withoutBroadcast = (message: FanoutMessage): FanoutMessage => {
  const { broadcast: _broadcast, consumerCursor: _consumerCursor, cursor: _cursor, ...event } = message;
  return event;
};

/**
 * Sends a broadcast on to each of the tenant's consumers, a page of them at a time: one ordinary
 * fan-out message per consumer (the same event id, run and payload, with the consumer's id), sent in
 * batches, each then fanned out to that consumer's subscriptions as an event published to it. After
 * `maxPagesPerInvocation` pages the rest goes to a continuation of the broadcast message carrying
 * the consumers' cursor. Consumers deleted before their page is read are not listed, so get nothing.
 */
export const sendToConsumers = async (message: FanoutMessage, deps: BroadcastDeps): Promise<ConsumerWalk> => {
  const event = withoutBroadcast(message);
  const { count: consumers, cursor } = await walkPages({
    cursor: message.consumerCursor,
    maxPages: deps.maxPagesPerInvocation,
    fetchPage: (cursor) => deps.consumers.list(message.tenantId, { limit: deps.pageSize, ...(cursor === undefined ? {} : { cursor }) }),
    messagesOf: (consumers) => consumers.map((consumer): FanoutMessage => ({ ...event, consumerId: consumer.id })),
    publish: (messages) => deps.fanout.publishFanouts(messages),
    countOf: (messages) => messages.length,
    continueFrom: (consumerCursor) => deps.fanout.publishFanout({ ...message, consumerCursor }),
  });
  return cursor === undefined ? { consumers } : { consumers, consumerCursor: cursor };
};
