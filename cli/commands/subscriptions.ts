import { InvalidArgumentError, type Command } from 'commander';
import { subscriptionPath } from '../api-client';
import { EXIT } from '../exit-codes';
import { SECRET_SHOWN_ONCE, subscriptionDetails, subscriptionTable, type Subscription } from '../views';
import { collectPair, parseJsonObject, parseList, parsePositiveInt, withApi, type ApiOptions, type CliContext } from './context';
import { printPage, withPaging, type PageOptions } from './pages';

interface SubscriptionFields {
  url?: string;
  eventTypes?: string[];
  filter?: Record<string, unknown>;
  description?: string;
  header?: Record<string, string>;
  rateLimit?: number | 'none';
  transformation?: string;
}

/** `--rate-limit none` clears it on update (commander turns a parsed null into '', so a word stands for it). */
const parseRateLimit = (value: string): number | 'none' => (value.trim() === 'none' ? 'none' : parsePositiveInt(value));

const parseEnabled = (value: string): boolean => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('must be true or false.');
};

/** The body fields the flags set; unset flags are left out, so an update changes only what was named. */
const bodyOf = (options: SubscriptionFields & { enabled?: boolean; clearDescription?: boolean; clearTransformation?: boolean; clearFilter?: boolean }): Record<string, unknown> => ({
  ...(options.url === undefined ? {} : { url: options.url }),
  ...(options.eventTypes === undefined ? {} : { eventTypes: options.eventTypes }),
  ...(options.filter === undefined ? {} : { filter: options.filter }),
  ...(options.clearFilter ? { filter: null } : {}),
  ...(options.description === undefined ? {} : { description: options.description }),
  ...(options.clearDescription ? { description: null } : {}),
  ...(options.header === undefined ? {} : { headers: options.header }),
  ...(options.rateLimit === undefined ? {} : { rateLimitPerSecond: options.rateLimit === 'none' ? null : options.rateLimit }),
  ...(options.transformation === undefined ? {} : { transformation: options.transformation }),
  ...(options.clearTransformation ? { transformation: null } : {}),
  ...(options.enabled === undefined ? {} : { enabled: options.enabled }),
});

/** The event a dry run transforms: a stored one, or a type and its data given as JSON text. */
const dryRunEvent = (options: { eventId?: string; type?: string; data?: string }): Record<string, unknown> => {
  if (options.eventId !== undefined) return { eventId: options.eventId };
  if (options.type === undefined) throw new InvalidArgumentError('give --event-id, or --type with --data');
  try {
    return { event: { type: options.type, data: JSON.parse(options.data ?? 'null') as unknown } };
  } catch (error) {
    throw new InvalidArgumentError(`the data is not JSON: ${(error as Error).message}`);
  }
};


export const registerSubscriptions = (program: Command, { out, err, targets }: CliContext): void => {
  const subscriptions = program.command('subscriptions').description("manage the API key's tenant's subscriptions");

  /** Prints a subscription, with its secret when the answer carries one (and a note about it on standard error). */
  const show = (subscription: Subscription, options: ApiOptions): void => {
    if (options.json) {
      out(JSON.stringify(subscription));
      return;
    }
    out(subscriptionDetails(subscription));
    if (subscription.secret !== undefined) err(SECRET_SHOWN_ONCE);
  };

  withApi(
    subscriptions
      .command('create')
      .description('subscribe an endpoint; prints the signing secret once')
      .requiredOption('--url <url>', 'where deliveries are POSTed (https)')
      .requiredOption('--event-types <types>', 'comma-separated filters: order.created, order.*, *', parseList)
      .option('--filter <json>', 'a payload filter, an EventBridge event pattern: only matching events are delivered', parseJsonObject)
      .option('--description <text>', 'a note for people')
      .option('--header <name=value>', 'a header sent with every delivery (repeatable)', collectPair)
      .option('--rate-limit <n>', 'at most this many attempts per second to this endpoint', parsePositiveInt)
      .option('--transformation <expr>', 'a JSONata expression that shapes the body this endpoint receives (docs/transformations.md)')
      .option('--consumer <consumerId>', "the consumer it belongs to, for good (default: the tenant's own)"),
  ).action(async (options: SubscriptionFields & { consumer?: string } & ApiOptions) => {
    const api = await targets.api(options);
    const body = { ...bodyOf(options), ...(options.consumer === undefined ? {} : { consumerId: options.consumer }) };
    show(await api<Subscription>({ method: 'POST', path: '/v1/subscriptions', body }), options);
  });

  withApi(withPaging(subscriptions.command('list').description("list the tenant's own subscriptions, oldest first"))).action(
    async (options: PageOptions & ApiOptions) => {
      const api = await targets.api(options);
      await printPage(api, '/v1/subscriptions', options, subscriptionTable, { out, err });
    },
  );

  withApi(subscriptions.command('get').description('show one subscription (never its secret)').argument('<id>', 'sub_...')).action(
    async (id: string, options: ApiOptions) => {
      const api = await targets.api(options);
      show(await api<Subscription>({ method: 'GET', path: subscriptionPath(id) }), options);
    },
  );

  withApi(
    subscriptions
      .command('update')
      .description('change a subscription: only the fields given')
      .argument('<id>', 'sub_...')
      .option('--url <url>', 'a new endpoint URL')
      .option('--event-types <types>', 'comma-separated filters, replacing the current ones', parseList)
      .option('--filter <json>', 'a payload filter (EventBridge event pattern), replacing the current one', parseJsonObject)
      .option('--clear-filter', 'remove the payload filter: every event of the types is delivered')
      .option('--description <text>', 'a new note')
      .option('--clear-description', 'remove the note')
      .option('--header <name=value>', 'the headers sent with every delivery, replacing the current ones (repeatable)', collectPair)
      .option('--rate-limit <n>', 'attempts per second, or "none" to remove the limit', parseRateLimit)
      .option('--transformation <expr>', 'a new JSONata transformation of the body')
      .option('--clear-transformation', 'send the standard body again')
      .option('--enabled <bool>', 'true re-enables (whatever disabled it), false disables', parseEnabled),
  ).action(async (id: string, options: SubscriptionFields & { enabled?: boolean; clearDescription?: boolean; clearTransformation?: boolean; clearFilter?: boolean } & ApiOptions, command: Command) => {
    const body = bodyOf(options);
    if (Object.keys(body).length === 0) {
      command.error('error: name at least one field to change (see --help)', { code: 'commander.usage', exitCode: EXIT.usage });
    }
    const api = await targets.api(options);
    show(await api<Subscription>({ method: 'PATCH', path: subscriptionPath(id), body }), options);
  });

  withApi(subscriptions.command('delete').description('delete a subscription; nothing more is delivered to it').argument('<id>', 'sub_...')).action(
    async (id: string, options: ApiOptions) => {
      const api = await targets.api(options);
      await api({ method: 'DELETE', path: subscriptionPath(id) });
      out(options.json ? JSON.stringify({ id, deleted: true }) : `deleted ${id}`);
    },
  );

  withApi(
    subscriptions
      .command('transform')
      .description('show what an endpoint would receive for an event (a dry run: nothing is stored or sent)')
      .argument('[id]', "sub_...: its transformation, unless --transformation is given")
      .option('--transformation <expr>', 'the JSONata expression to try (required without an id)')
      .option('--event-id <id>', 'a stored event (evt_...)')
      .option('--type <type>', 'the type of an event given here')
      .option('--data <json>', 'the data of an event given here, as JSON'),
  ).action(async (id: string | undefined, options: { transformation?: string; eventId?: string; type?: string; data?: string } & ApiOptions) => {
    const body = { ...dryRunEvent(options), ...(options.transformation === undefined ? {} : { transformation: options.transformation }) };
    const api = await targets.api(options);
    const path = id === undefined ? '/v1/transform' : `${subscriptionPath(id)}/transform`;
    const result = await api<{ cancelled: boolean; body?: unknown }>({ method: 'POST', path, body });
    if (options.json) out(JSON.stringify(result));
    else out(result.cancelled ? 'cancelled: the delivery would be skipped and nothing sent' : JSON.stringify(result.body, null, 2));
  });

  withApi(
    subscriptions
      .command('rotate-secret')
      .description('make a new signing secret and print it once; the old one keeps signing for the grace period (24 h by default)')
      .argument('<id>', 'sub_...'),
  ).action(async (id: string, options: ApiOptions) => {
    const api = await targets.api(options);
    show(await api<Subscription>({ method: 'POST', path: `${subscriptionPath(id)}/rotate-secret` }), options);
  });
};
