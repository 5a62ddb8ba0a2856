import type { Command } from 'commander';
import { EXIT } from './exit-codes';

/**
 * Options a user may put anywhere on the line: before the command
 * (`webhook-fanout --local --api-key X events send ...`), between its words, or after it. The
 * program reads them wherever they stand (commander matches a program's options in every
 * position) and hands each to the command that runs, which declares it, with its default, in its
 * own help. `--local` is the program's alone.
 */
const GLOBAL_OPTIONS: ReadonlyArray<readonly [flags: string, description: string]> = [
  ['--stack <name>', 'the deployed stack whose outputs name the resources (default: WebhookFanout)'],
  ['--api-url <url>', 'the API base URL, instead of WEBHOOK_FANOUT_API_URL or the stack outputs'],
  ['--api-key <key>', 'the API key, instead of WEBHOOK_FANOUT_API_KEY (which keeps it out of shell history)'],
  ['--json', 'print JSON instead of text'],
];

export const withGlobalOptions = (program: Command): Command => {
  for (const [flags, description] of GLOBAL_OPTIONS) program.option(flags, description);
  return program;
};

/** Gives `command` the global options the line set; one it does not take is a usage error. */
export const handOverGlobalOptions = (program: Command, command: Command): void => {
  for (const [flags] of GLOBAL_OPTIONS) {
    const long = flags.split(' ')[0]!;
    const global = program.options.find((option) => option.long === long)!;
    if (program.getOptionValueSource(global.attributeName()) !== 'cli') continue;
    const own = command.options.find((option) => option.long === long);
    if (own === undefined) {
      command.error(`error: ${command.name()} does not take ${long}`, { code: 'commander.unknownOption', exitCode: EXIT.usage });
    }
    command.setOptionValueWithSource(own.attributeName(), program.getOptionValue(global.attributeName()), 'cli');
  }
};
