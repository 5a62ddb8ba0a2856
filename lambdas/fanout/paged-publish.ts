import { deliveriesIn, type DeliveryQueueMessage } from '../core/messages';
import type { Page } from '../core/ports';

export type PagedResult = { status: 'done'; deliveries: number } | { status: 'continued'; deliveries: number; cursor: string };

export interface PagedWalk<T, M> {
  cursor: string | undefined;
  maxPages: number;
  fetchPage(cursor: string | undefined): Promise<Page<T>>;
  /** The messages a page yields (possibly none). */
  messagesOf(items: T[]): Promise<M[]> | M[];
  publish(messages: M[]): Promise<void>;
  /** What a page's messages count for (deliveries, consumers...): the walk adds it up, and keeps no message. */
  countOf(messages: M[]): number;
  /** Hands the rest to a follow-up message starting at `cursor`. */
  continueFrom(cursor: string): Promise<void>;
}

export type PagedPublish<T> = Omit<PagedWalk<T, DeliveryQueueMessage>, 'countOf'>;

/**
 * Pages through a source, publishing each page's messages, and hands what is left after `maxPages`
 * to a follow-up message, so no invocation nears its timeout however large the source. Answers the
 * count of what it published (`countOf` of each page) and, when it handed over the rest, where that starts.
 */
export const walkPages = async <T, M>(work: PagedWalk<T, M>): Promise<{ count: number; cursor?: string }> => {
  let cursor = work.cursor;
  let count = 0;
  for (let page = 0; page < work.maxPages; page++) {
    const result = await work.fetchPage(cursor);
    const messages = await work.messagesOf(result.items);
    await work.publish(messages);
    count += work.countOf(messages);
    cursor = result.cursor;
    if (cursor === undefined) return { count };
  }
  await work.continueFrom(cursor!);
  return { count, cursor: cursor! };
};

/** walkPages over delivery messages, counting the deliveries they stand for. */
export const publishPaged = async <T>(work: PagedPublish<T>): Promise<PagedResult> => {
  const { count: deliveries, cursor } = await walkPages({ ...work, countOf: deliveriesIn });
  return cursor === undefined ? { status: 'done', deliveries } : { status: 'continued', deliveries, cursor };
};
