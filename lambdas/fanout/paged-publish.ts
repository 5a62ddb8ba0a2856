import { deliveriesIn, type DeliveryQueueMessage } from '../core/messages';
import type { Page } from '../core/ports';

export type PagedResult = { status: 'done'; deliveries: number } | { status: 'continued'; deliveries: number; cursor: string };

export interface PagedPublish<T> {
  cursor: string | undefined;
  maxPages: number;
  fetchPage(cursor: string | undefined): Promise<Page<T>>;
  /** The delivery messages a page yields (possibly none). */
  messagesOf(items: T[]): Promise<DeliveryQueueMessage[]> | DeliveryQueueMessage[];
  publish(messages: DeliveryQueueMessage[]): Promise<void>;
  /** Hands the rest to a follow-up message starting at `cursor`. */
  continueFrom(cursor: string): Promise<void>;
}

/**
 * Pages through a source, publishing each page's delivery messages, and hands what is left after
 * `maxPages` to a follow-up message, so no invocation nears its timeout however large the source.
 */
export const publishPaged = async <T>(work: PagedPublish<T>): Promise<PagedResult> => {
  let cursor = work.cursor;
  let deliveries = 0;
  for (let page = 0; page < work.maxPages; page++) {
    const result = await work.fetchPage(cursor);
    const messages = await work.messagesOf(result.items);
    await work.publish(messages);
    deliveries += deliveriesIn(messages);
    cursor = result.cursor;
    if (cursor === undefined) return { status: 'done', deliveries };
  }
  await work.continueFrom(cursor!);
  return { status: 'continued', deliveries, cursor: cursor! };
};
