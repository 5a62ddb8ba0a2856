import { Command } from 'commander';
import { registerConsumers } from './commands/consumers';
import { registerDlq } from './commands/dlq';
import { registerEvents } from './commands/events';
import { registerKeys } from './commands/keys';
import { registerRecover } from './commands/recover';
import { registerSubscriptions } from './commands/subscriptions';
import { registerTail } from './commands/tail';
import type { CliContext } from './commands/context';
import { oneLine } from './errors';
import { EXIT, exitCodeFor } from './exit-codes';
import { handOverGlobalOptions, withGlobalOptions } from './global-options';
import { Targets } from './targets';

export const buildProgram = (
  out: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  err: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Command => {
  const targets = new Targets();
  const program = new Command('webhook-fanout')
    .description(
      'Operate a webhook-fanout deployment: API keys and dead-letter queues with your own AWS credentials; ' +
        'subscriptions, consumers, events, recovery and tail through the HTTP API with an API key.',
    )
    .showHelpAfterError()
    .option('--local', 'work on the pipeline `npm start` runs on this machine instead of a deployed stack');
  withGlobalOptions(program)
    .hook('preAction', (command, actionCommand) => {
      handOverGlobalOptions(command, actionCommand);
      if (command.opts<{ local?: boolean }>().local) targets.useLocalRuntime();
    })
    .exitOverride();
  const context: CliContext = { out, err, progressStream: process.stderr, targets };
  registerKeys(program, context);
  registerSubscriptions(program, context);
  registerConsumers(program, context);
  registerEvents(program, context);
  registerRecover(program, context);
  registerTail(program, context);
  registerDlq(program, context);
  return program;
};

export const run = async (argv: string[]): Promise<number> => {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version') return EXIT.ok;
    if (typeof code === 'string' && code.startsWith('commander.')) return EXIT.usage;
    process.stderr.write(`error: ${oneLine(error)}\n`);
    return exitCodeFor(error);
  }
};
