import type { Command } from 'commander';
import { allPages, type ApiCall } from '../api-client';
import { parsePositiveInt, type ApiOptions, type CliContext } from './context';

export interface PageOptions {
  limit: number;
  cursor?: string;
  all?: boolean;
}

/** The options of a command that lists a paginated collection: one page of `--limit` from `--cursor`, or `--all`. */
export const withPaging = (command: Command): Command =>
  command
    .option('--limit <n>', 'page size (1..100)', parsePositiveInt, 50)
    .option('--cursor <cursor>', 'the cursor a previous page printed')
    .option('--all', 'every page');

/**
 * Prints one page of the collection at `path` (or every page, with `--all`): as the API answered
 * with `--json`, else as `table` shows the items, with `more: --cursor ...` on standard error when
 * there are more.
 */
export const printPage = async <T>(
  api: ApiCall,
  path: string,
  options: PageOptions & ApiOptions,
  table: (items: T[]) => string,
  { out, err }: Pick<CliContext, 'out' | 'err'>,
): Promise<void> => {
  const page: { items: T[]; cursor?: string } = options.all
    ? { items: await allPages<T>(api, { method: 'GET', path }) }
    : await api<{ items: T[]; cursor?: string }>({ method: 'GET', path, query: { limit: String(options.limit), cursor: options.cursor } });
  if (options.json) {
    out(JSON.stringify(page));
    return;
  }
  out(table(page.items));
  if (page.cursor !== undefined) err(`more: --cursor ${page.cursor}`);
};
