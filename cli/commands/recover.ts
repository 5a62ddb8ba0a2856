import type { Command } from 'commander';
import { subscriptionPath } from '../api-client';
import { parseTimeArg } from '../time-arg';
import { withApi, type ApiOptions, type CliContext } from './context';

/** `recover`: re-send a subscription's exhausted deliveries of a window, e.g. after its endpoint was fixed. */
export const registerRecover = (program: Command, { out, targets }: CliContext): void => {
  withApi(
    program
      .command('recover')
      .description("re-send a subscription's exhausted deliveries of events accepted in a window")
      .argument('<subscriptionId>', 'sub_...')
      .requiredOption('--since <time>', 'start of the window: an ISO time, or a duration back from now (2h, 3d)', (value) => parseTimeArg(value))
      .option('--until <time>', 'end of the window (default: now)', (value) => parseTimeArg(value)),
  ).action(async (subscriptionId: string, options: { since: string; until?: string } & ApiOptions) => {
    const api = await targets.api(options);
    const recovery = await api<{ subscriptionId: string; recoveryId: string; since: string; until: string }>({
      method: 'POST',
      path: `${subscriptionPath(subscriptionId)}/recover`,
      body: { since: options.since, ...(options.until === undefined ? {} : { until: options.until }) },
    });
    out(
      options.json
        ? JSON.stringify(recovery)
        : `recovering ${recovery.subscriptionId} (${recovery.recoveryId}): exhausted deliveries of events accepted ${recovery.since} .. ${recovery.until}`,
    );
  });
};
