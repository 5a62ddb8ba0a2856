import type { Command } from 'commander';
import { followDeliveries } from '../tail';
import { parseTimeArg } from '../time-arg';
import { deliveryLine } from '../views';
import { parsePositiveInt, withApi, type ApiOptions, type CliContext } from './context';

interface TailOptions extends ApiOptions {
  subscription?: string[];
  since?: string;
  interval: number;
  max?: number;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `tail`: deliveries as they happen, one line per change; Ctrl-C stops it. */
export const registerTail = (program: Command, { out, targets }: CliContext): void => {
  withApi(
    program
      .command('tail')
      .description('follow deliveries live: a line when a delivery appears or its status or attempt count changes')
      .option('--subscription <id>', 'only this subscription (repeatable; default: all of the tenant)', collect)
      .option('--since <time>', 'also show deliveries of events accepted since then: an ISO time or a duration back (10m)', (value) => parseTimeArg(value))
      .option('--interval <seconds>', 'seconds between polls', parsePositiveInt, 2)
      .option('--max <n>', 'stop after this many lines', parsePositiveInt),
  ).action(async (options: TailOptions) => {
    const api = await targets.api(options);
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let printed = 0;
    try {
      for await (const delivery of followDeliveries(api, {
        since: options.since === undefined ? Date.now() : Date.parse(options.since),
        intervalMs: options.interval * 1000,
        signal: stop.signal,
        ...(options.subscription === undefined ? {} : { subscriptionIds: options.subscription }),
      })) {
        out(options.json ? JSON.stringify(delivery) : deliveryLine(delivery));
        printed += 1;
        if (options.max !== undefined && printed >= options.max) break;
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
};
