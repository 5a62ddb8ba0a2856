import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_STACK_NAME } from '../../lib/stack-outputs';
import type { ApiTarget, Targets } from '../targets';

/** What every command gets: where to print, and what it works on. */
export interface CliContext {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Where a progress bar may draw (only if it is a terminal). */
  progressStream: NodeJS.WriteStream;
  targets: Targets;
}

export interface JsonOption {
  json?: boolean;
}

export const withStack = (command: Command, what: string): Command =>
  command.addOption(new Option('--stack <name>', `the deployed stack to find ${what} in`).default(DEFAULT_STACK_NAME));

export const withJson = (command: Command): Command => command.option('--json', 'print JSON instead of text');

/** The options of every command that calls the HTTP API. */
export const withApi = (command: Command): Command =>
  withJson(
    withStack(command, 'the API URL')
      .option('--api-url <url>', 'the API base URL, instead of WEBHOOK_FANOUT_API_URL or the stack outputs')
      .option('--api-key <key>', 'the API key, instead of WEBHOOK_FANOUT_API_KEY (which keeps it out of shell history)'),
  );

export type ApiOptions = ApiTarget & JsonOption;

/** A whole number from 1 up; anything else is a usage error. */
export const parsePositiveInt = (value: string): number => {
  const parsed = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a whole number of 1 or more.');
  return parsed;
};

/** A comma-separated list, blanks dropped. */
export const parseList = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** JSON text of an object, such as `--filter '{"data": {"amount": [{"numeric": [">", 100]}]}}'`; the API checks what is in it. */
export const parseJsonObject = (value: string): Record<string, unknown> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be JSON text (quote it for the shell).');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError('must be a JSON object.');
  return parsed as Record<string, unknown>;
};

/** `--header name=value` or `--metadata key=value`, repeatable: collected into one record. */
export const collectPair = (value: string, previous: Record<string, string> = {}): Record<string, string> => {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('must be name=value.');
  return { ...previous, [value.slice(0, at).trim()]: value.slice(at + 1) };
};
