import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { allPages, eventPath } from '../api-client';
import { EXIT } from '../exit-codes';
import { publishEventBody, type EventRouting } from '../publish-body';
import { acceptedEventText, deliveryTable, eventDataText, eventDetails, type AcceptedEvent, type Delivery, type EventView } from '../views';
import { withApi, type ApiOptions, type CliContext } from './context';

interface SendOptions extends ApiOptions {
  type: string;
  data?: string;
  dataFile?: string;
  idempotencyKey?: string;
  consumer?: string;
  subscription?: string;
  broadcast?: boolean;
}

/** Where the options send the event; a broadcast names no consumer nor subscription (as the API insists). */
const routingOf = (options: SendOptions): EventRouting => {
  if (options.broadcast && (options.consumer !== undefined || options.subscription !== undefined)) {
    throw new InvalidArgumentError('--broadcast goes to every consumer: leave out --consumer and --subscription');
  }
  return {
    ...(options.consumer === undefined ? {} : { consumerId: options.consumer }),
    ...(options.subscription === undefined ? {} : { subscriptionId: options.subscription }),
    ...(options.broadcast ? { broadcast: true } : {}),
  };
};

/** The event's data as text: `--data '<json>'`, or `--data-file path` (`-` for standard input). */
const readDataText = (options: SendOptions): string => {
  if ((options.data === undefined) === (options.dataFile === undefined)) {
    throw new InvalidArgumentError('give exactly one of --data and --data-file');
  }
  return options.data ?? readFileSync(options.dataFile === '-' ? 0 : options.dataFile!, 'utf8');
};

export const registerEvents = (program: Command, { out, targets }: CliContext): void => {
  const events = program.command('events').description('publish events, look at them and their deliveries, replay them');

  withApi(
    events
      .command('send')
      .description("publish an event to every matching subscription (the tenant's own, a consumer's, or with --broadcast all of them)")
      .requiredOption('--type <type>', 'the event type, e.g. order.created')
      .option('--data <json>', 'the payload, as JSON')
      .option('--data-file <path>', 'read the payload from a file (- for standard input)')
      .option('--idempotency-key <key>', 'a repeat with the same key within 24 h is accepted once')
      .option('--consumer <consumerId>', "to this consumer's subscriptions only (default: the tenant's own)")
      .option('--subscription <id>', 'to this one subscription only (of the consumer, or the tenant), if it matches')
      .option('--broadcast', "to the tenant's own subscriptions and every consumer's (not with --consumer or --subscription)"),
  ).action(async (options: SendOptions, command: Command) => {
    let body: string;
    try {
      body = publishEventBody(options.type, readDataText(options), routingOf(options));
    } catch (error) {
      command.error(`error: ${(error as Error).message}`, { code: 'commander.usage', exitCode: EXIT.usage });
    }
    const api = await targets.api(options);
    const accepted = await api<AcceptedEvent>({
      method: 'POST',
      path: '/v1/events',
      bodyText: body,
      ...(options.idempotencyKey === undefined ? {} : { headers: { 'idempotency-key': options.idempotencyKey } }),
    });
    out(options.json ? JSON.stringify(accepted) : acceptedEventText(accepted));
  });

  withApi(events.command('get').description('show an event and a count of its deliveries by status').argument('<id>', 'evt_...')).action(
    async (id: string, options: ApiOptions) => {
      const api = await targets.api(options);
      // The answer's text is printed, or its data shown, as the API sent it: parsing rounds numbers.
      const event = await api.answer<EventView>({ method: 'GET', path: eventPath(id) });
      out(options.json ? event.text : eventDetails(event.value, eventDataText(event.text)));
    },
  );

  withApi(
    events.command('deliveries').description("show an event's delivery to each subscription, with the last attempt").argument('<id>', 'evt_...'),
  ).action(async (id: string, options: ApiOptions) => {
    const api = await targets.api(options);
    // A page walks a page of the tenant's subscriptions: every page, so no subscription is left out.
    const items = await allPages<Delivery>(api, { method: 'GET', path: `${eventPath(id)}/deliveries` });
    out(options.json ? JSON.stringify({ items }) : deliveryTable(items));
  });

  withApi(
    events
      .command('replay')
      .description('deliver an event again, with the same webhook-id, to every matching subscription or one')
      .argument('<id>', 'evt_...')
      .option('--subscription <id>', 'only to this subscription'),
  ).action(async (id: string, options: { subscription?: string } & ApiOptions) => {
    const api = await targets.api(options);
    const replay = await api<{ eventId: string; replayId: string; subscriptionId?: string }>({
      method: 'POST',
      path: `${eventPath(id)}/replay`,
      body: options.subscription === undefined ? {} : { subscriptionId: options.subscription },
    });
    out(options.json ? JSON.stringify(replay) : `replaying ${replay.eventId} (${replay.replayId}) to ${replay.subscriptionId ?? 'every matching subscription'}`);
  });
};
