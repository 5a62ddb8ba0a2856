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
  /** Hands the rest to a follow-up message starting at `cursor`. */
  continueFrom(cursor: string): Promise<void>;
}

export type PagedPublish<T> = PagedWalk<T, DeliveryQueueMessage>;

/**
 * Pages through a source, publishing each page's messages, and hands what is left after `maxPages`
 * to a follow-up message, so no invocation nears its timeout however large the source. Answers the
 * messages published and, when it handed over the rest, where that starts.
 */
export const walkPages = async <T, M>(work: PagedWalk<T, M>): Promise<{ published: M[][]; cursor?: string }> => {
  let cursor = work.cursor;
  const published: M[][] = [];
  for (let page = 0; page < work.maxPages; page++) {
    const result = await work.fetchPage(cursor);
    const messages = await work.messagesOf(result.items);
    await work.publish(messages);
    published.push(messages);
    cursor = result.cursor;
    if (cursor === undefined) return { published };
  }
  await work.continueFrom(cursor!);
  return { published, cursor: cursor! };
};

/** walkPages over delivery messages, counting the deliveries they stand for. */
export const publishPaged = async <T>(work: PagedPublish<T>): Promise<PagedResult> => {
  const { published, cursor } = await walkPages(work);
  const deliveries = published.reduce((sum, messages) => sum + deliveriesIn(messages), 0);
  return cursor === undefined ? { status: 'done', deliveries } : { status: 'continued', deliveries, cursor };
};
