import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PROJECT_ROOT } from './local-runtime-process';

/**
 * The README's quick start as a user reads it: its commands, and the sample outputs it promises.
 * Parsed from README.md itself, so the test that runs them checks the text a user copies.
 */

interface CodeBlock {
  language: string;
  text: string;
}

export interface QuickStart {
  /** The command that starts the receiver (`node -e ...`), listening on port 4000. */
  receiverCommand: string;
  /** The shell lines that subscribe the receiver and publish an event, against port 3000. */
  publishScript: string;
  /** What `npm start` prints when it has started (stdout and stderr, as a terminal shows them). */
  startOutput: string[];
  /** What the receiver prints for the event. */
  receiverOutput: string[];
  /** What `npm start` prints for the event. */
  activityOutput: string[];
}

const codeBlocks = (markdown: string): CodeBlock[] =>
  [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({ language: match[1]!, text: match[2]! }));

const section = (markdown: string, heading: string): string => {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
};

const linesOf = (text: string): string[] => text.split('\n').filter((line) => line !== '');

export const readQuickStart = (): QuickStart => {
  const blocks = codeBlocks(section(readFileSync(resolve(PROJECT_ROOT, 'README.md'), 'utf8'), 'Quick start'));
  const shell = blocks.filter((block) => block.language === 'bash');
  const samples = blocks.filter((block) => block.language === '');
  const receiver = shell.find((block) => block.text.includes('node -e'));
  const publish = shell.find((block) => block.text.includes('curl'));
  if (receiver === undefined || publish === undefined || samples.length !== 3) {
    throw new Error('the quick start no longer has a receiver command, a curl block and three sample outputs');
  }
  return {
    receiverCommand: receiver.text.trim(),
    publishScript: publish.text,
    startOutput: linesOf(samples[0]!.text),
    receiverOutput: linesOf(samples[1]!.text),
    activityOutput: linesOf(samples[2]!.text),
  };
};

/**
 * A printed line with what differs from run to run replaced by a placeholder: times, ids, keys,
 * ports, durations, and which DynamoDB emulator runs. The README may abbreviate an id or a key
 * (`wfk_01J...`).
 */
export const lineShape = (line: string): string =>
  line
    .replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\b/g, '<timestamp>')
    .replace(/^\d\d:\d\d:\d\d /, '<time> ')
    .replace(/\b(evt|sub|wfk)_[\w-]*(\.\.\.)?/g, '$1_<id>')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
    .replace(/\bin \d+(\.\d+)? (ms|s)\b/g, 'in <n> $2')
    .replace(/\((dynamodb-local|dynalite)\)/, '(<dynamodb>)');

/** The notice `npm start` prints instead of starting DynamoDB Local when Java is missing (the README says so in words). */
export const isNoJavaNotice = (line: string): boolean => line.startsWith('No Java found: using dynalite');

/**
 * Whether `shown` is `first` and `second` interleaved, each in its own order: what a terminal shows
 * of two streams, stdout and stderr, written by one process.
 */
export const isInterleaving = (shown: readonly string[], first: readonly string[], second: readonly string[]): boolean => {
  let i = 0;
  let j = 0;
  for (const line of shown) {
    if (i < first.length && first[i] === line) i++;
    else if (j < second.length && second[j] === line) j++;
    else return false;
  }
  return i === first.length && j === second.length;
};
