import type { Command } from 'commander';
import { consumerPath } from '../api-client';
import {
  consumerDeletedLine,
  consumerDetails,
  consumerDisabledLine,
  consumerEnabledLine,
  consumerTable,
  subscriptionTable,
  type Consumer,
  type ConsumerDeleted,
  type ConsumerDisabled,
  type ConsumerEnabled,
  type Subscription,
} from '../views';
import { collectPair, withApi, type ApiOptions, type CliContext } from './context';
import { printPage, withPaging, type PageOptions } from './pages';

interface PutOptions extends ApiOptions {
  name?: string;
  metadata?: Record<string, string>;
}

export const registerConsumers = (program: Command, { out, err, targets }: CliContext): void => {
  const consumers = program.command('consumers').description("manage the API key's tenant's consumers (its customers) and their subscriptions");

  const show = (consumer: Consumer, options: ApiOptions): void => out(options.json ? JSON.stringify(consumer) : consumerDetails(consumer));

  withApi(
    consumers
      .command('put')
      .description('create a consumer, or replace its name and metadata (a field not given is removed)')
      .argument('<consumerId>', 'an id you choose: 1-64 of A-Z a-z 0-9 . _ : -')
      .option('--name <name>', 'a name for people (up to 200 characters)')
      .option('--metadata <key=value>', 'a string kept with it (repeatable; up to 20, 1 KB together)', collectPair),
  ).action(async (id: string, options: PutOptions) => {
    const api = await targets.api(options);
    const body = { ...(options.name === undefined ? {} : { name: options.name }), ...(options.metadata === undefined ? {} : { metadata: options.metadata }) };
    show(await api<Consumer>({ method: 'PUT', path: consumerPath(id), body }), options);
  });

  withApi(withPaging(consumers.command('list').description('list consumers, in id order'))).action(async (options: PageOptions & ApiOptions) => {
    const api = await targets.api(options);
    await printPage(api, '/v1/consumers', options, consumerTable, { out, err });
  });

  withApi(consumers.command('get').description('show one consumer').argument('<consumerId>', 'the consumer')).action(async (id: string, options: ApiOptions) => {
    const api = await targets.api(options);
    show(await api<Consumer>({ method: 'GET', path: consumerPath(id) }), options);
  });

  withApi(consumers.command('delete').description('delete a consumer and every subscription it has').argument('<consumerId>', 'the consumer')).action(
    async (id: string, options: ApiOptions) => {
      const api = await targets.api(options);
      const deleted = await api<ConsumerDeleted>({ method: 'DELETE', path: consumerPath(id) });
      out(options.json ? JSON.stringify(deleted) : consumerDeletedLine(id, deleted));
    },
  );

  /** `disable` or `enable`: one POST to the consumer, its answer printed as `line` says. */
  const switchCommand = <T>(name: 'disable' | 'enable', description: string, line: (id: string, result: T) => string): void => {
    withApi(consumers.command(name).description(description).argument('<consumerId>', 'the consumer')).action(async (id: string, options: ApiOptions) => {
      const api = await targets.api(options);
      const result = await api<T>({ method: 'POST', path: `${consumerPath(id)}/${name}` });
      out(options.json ? JSON.stringify(result) : line(id, result));
    });
  };
  switchCommand<ConsumerDisabled>(
    'disable',
    'disable every subscription of the consumer (disabledReason consumer_disabled): events sent to it reach none until enabled',
    consumerDisabledLine,
  );
  switchCommand<ConsumerEnabled>(
    'enable',
    "enable the consumer's subscriptions a consumer disable disabled (not those disabled by their endpoint or one by one)",
    consumerEnabledLine,
  );

  withApi(
    withPaging(consumers.command('subscriptions').description("list a consumer's subscriptions, oldest first").argument('<consumerId>', 'the consumer')),
  ).action(async (id: string, options: PageOptions & ApiOptions) => {
    const api = await targets.api(options);
    await printPage<Subscription>(api, `${consumerPath(id)}/subscriptions`, options, subscriptionTable, { out, err });
  });
};
