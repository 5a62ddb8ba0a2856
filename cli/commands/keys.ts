import type { Command } from 'commander';
import { DynamoApiKeyStore } from '../../lambdas/aws/dynamo-api-key-store';
import { createDynamoClient } from '../../lambdas/aws/clients';
import { generateApiKey, SCOPES, type ApiKeyRecord } from '../../lambdas/core/api-keys';
import { STACK_OUTPUTS } from '../../lib/stack-outputs';
import { issueApiKey, parseScopes, revokeApiKey } from '../../admin/api-keys';
import { textTable } from '../table';
import { withJson, withStack, type CliContext, type JsonOption } from './context';

/** Active keys of the older format are marked: they are the ones to rotate. */
const keyState = (key: Omit<ApiKeyRecord, 'hash'>): string => {
  if (key.revokedAt !== undefined) return `revoked ${key.revokedAt}`;
  return key.tag === 'keyed' ? 'active' : 'active, older format';
};

interface TableTarget {
  stack: string;
  table?: string;
}

/** `keys`: API keys live in a table the operator's AWS credentials reach, not behind the API. */
export const registerKeys = (program: Command, { out, err, targets }: CliContext): void => {
  const keys = program.command('keys').description('manage API keys');
  const tableOptions = (command: Command): Command =>
    withJson(withStack(command, 'the table').option('--table <name>', 'the API keys table, instead of reading it from the stack outputs'));
  const store = async (target: TableTarget): Promise<DynamoApiKeyStore> =>
    new DynamoApiKeyStore(createDynamoClient(), target.table ?? (await targets.output(target.stack, STACK_OUTPUTS.apiKeysTableName)));

  tableOptions(
    keys
      .command('create')
      .description('create an API key for a tenant and print it once')
      .requiredOption('--tenant <tenant>', 'the tenant the key belongs to')
      .option('--scopes <scopes>', `comma-separated scopes (${SCOPES.join(', ')})`, 'all')
      .option('--description <text>', 'a note stored with the key'),
  ).action(async (options: { tenant: string; scopes: string; description?: string } & TableTarget & JsonOption) => {
    const created = await issueApiKey(await store(options), {
      tenantId: options.tenant,
      scopes: parseScopes(options.scopes),
      ...(options.description === undefined ? {} : { description: options.description }),
    });
    if (options.json) {
      out(JSON.stringify(created));
    } else {
      out(`API key: ${created.key}`);
      out(`key id:  ${created.keyId}  tenant: ${created.tenantId}  scopes: ${created.scopes.join(',')}`);
      err('Store it now: it is shown only once.');
    }
  });

  tableOptions(
    keys
      .command('list')
      .description('list API keys (never the keys themselves): id, tenant, scopes, created, revoked')
      .option('--tenant <tenant>', 'only this tenant'),
  ).action(async (options: { tenant?: string } & TableTarget & JsonOption) => {
    const listed = (await (await store(options)).list(options.tenant)).map(({ hash: _hash, ...visible }) => visible);
    if (options.json) {
      out(JSON.stringify(listed));
      return;
    }
    out(
      listed.length === 0
        ? 'no API keys'
        : textTable(
            ['KEY ID', 'TENANT', 'SCOPES', 'CREATED', 'STATE'],
            listed.map((key) => [key.keyId, key.tenantId, key.scopes.join(','), key.createdAt, keyState(key)]),
          ),
    );
  });

  tableOptions(
    keys
      .command('revoke')
      .description('revoke an API key; functions stop accepting it within their key cache time (30 s by default)')
      .argument('<keyId>', 'the key id (key_...), as `keys list` shows it'),
  ).action(async (keyId: string, options: TableTarget & JsonOption) => {
    const { revoked, unkeyedRefused } = await revokeApiKey(await store(options), keyId);
    if (!revoked) throw new Error(`no API key ${keyId}`);
    if (options.json) {
      out(JSON.stringify({ keyId, revoked: true, unkeyedRefused }));
      return;
    }
    out(`revoked ${keyId}`);
    if (unkeyedRefused) out('no key of the older format is left in use: such keys are now refused without a database read');
  });

  keys
    .command('generate')
    .description('print a new, well-formed API key of the older (unkeyed) format without storing it, for LOCAL_API_KEY')
    .action(() => {
      out(generateApiKey().key);
    });
};
