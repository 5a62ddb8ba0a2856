import { Command, Option } from 'commander';
import { DynamoApiKeyStore } from '../lambdas/aws/dynamo-api-key-store';
import { createDynamoClient } from '../lambdas/aws/clients';
import { generateApiKey, SCOPES } from '../lambdas/core/api-keys';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../lib/stack-outputs';
import { issueApiKey, parseScopes } from './issue-api-key';
import { stackOutput } from './stack-resources';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

interface Target {
  stack: string;
  table?: string;
}

const apiKeysTable = (target: Target): Promise<string> =>
  target.table !== undefined ? Promise.resolve(target.table) : stackOutput(target.stack, STACK_OUTPUTS.apiKeysTableName);

export const buildProgram = (out: (line: string) => void = (line) => process.stdout.write(line + '\n')): Command => {
  const program = new Command('webhook-fanout')
    .description('Operate a webhook-fanout deployment with your own AWS credentials.')
    .showHelpAfterError()
    .exitOverride();

  const keys = program.command('keys').description('manage API keys');
  keys
    .command('create')
    .description('create an API key for a tenant and print it once')
    .requiredOption('--tenant <tenant>', 'the tenant the key belongs to')
    .option('--scopes <scopes>', `comma-separated scopes (${SCOPES.join(', ')})`, 'all')
    .option('--description <text>', 'a note stored with the key')
    .addOption(new Option('--stack <name>', 'the deployed stack to find the table in').default(DEFAULT_STACK_NAME))
    .option('--table <name>', 'the API keys table, instead of reading it from the stack outputs')
    .option('--json', 'print JSON instead of text')
    .action(async (options: { tenant: string; scopes: string; description?: string; json?: boolean } & Target) => {
      const table = await apiKeysTable(options);
      const created = await issueApiKey(new DynamoApiKeyStore(createDynamoClient(), table), {
        tenantId: options.tenant,
        scopes: parseScopes(options.scopes),
        ...(options.description === undefined ? {} : { description: options.description }),
      });
      if (options.json) {
        out(JSON.stringify(created));
      } else {
        out(`API key: ${created.key}`);
        out(`key id:  ${created.keyId}  tenant: ${created.tenantId}  scopes: ${created.scopes.join(',')}`);
        out('Store it now: it is shown only once.');
      }
    });
  keys
    .command('generate')
    .description('print a new, well-formed API key without storing it (e.g. for LOCAL_API_KEY)')
    .action(() => {
      out(generateApiKey().key);
    });
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
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return EXIT.failure;
  }
};
