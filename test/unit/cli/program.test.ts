import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../cli/main';

describe('CLI: the commands webhook-fanout --help lists', () => {
  it('has every command and subcommand an operator needs, each with a description', () => {
    // Act
    const program = buildProgram();
    const tree = Object.fromEntries(program.commands.map((command) => [command.name(), command.commands.map((sub) => sub.name())]));

    // Assess
    expect(tree).toEqual({
      keys: ['create', 'list', 'revoke', 'generate'],
      subscriptions: ['create', 'list', 'get', 'update', 'delete', 'transform', 'rotate-secret'],
      consumers: ['put', 'list', 'get', 'delete', 'disable', 'enable', 'subscriptions'],
      events: ['send', 'get', 'deliveries', 'replay'],
      recover: [],
      tail: [],
      dlq: ['list', 'redrive'],
    });
    for (const command of program.commands.flatMap((command) => [command, ...command.commands])) {
      expect(command.description(), command.name()).not.toBe('');
    }
    expect(program.helpInformation()).toMatch(/^ {2}subscriptions +manage/m);
  });

  it('offers --json on every command that prints a result', () => {
    const leaves = buildProgram().commands.flatMap((command) => (command.commands.length > 0 ? command.commands : [command]));
    const withoutJson = leaves.filter((command) => !command.options.some((option) => option.long === '--json')).map((command) => command.name());
    expect(withoutJson).toEqual(['generate']);
  });
});
