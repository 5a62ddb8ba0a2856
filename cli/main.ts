import { Command, InvalidArgumentError, Option } from 'commander';
import { DynamoApiKeyStore } from '../lambdas/aws/dynamo-api-key-store';
import { createDynamoClient, createSqsClient } from '../lambdas/aws/clients';
import { generateApiKey, SCOPES } from '../lambdas/core/api-keys';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS, type StackOutputId } from '../lib/stack-outputs';
import { readRuntimeState } from '../local/runtime-state';
import {
  DEFAULT_LIST_MAX,
  DLQ_QUEUES,
  DlqError,
  formatDeadLetters,
  listDeadLetters,
  redriveDeadLetters,
  resolveQueueUrls,
  type DlqQueue,
} from './dlq';
import { oneLine } from './errors';
import { issueApiKey, parseScopes } from './issue-api-key';
import { stackOutput } from './stack-resources';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

interface Target {
  stack: string;
  table?: string;
}

type OutputLookup = (stackName: string, outputId: StackOutputId) => Promise<string>;

/**
 * Where stack outputs come from: the deployed stack (CloudFormation, the operator's credentials),
 * or with `--local` the running local pipeline, whose emulators then receive every call.
 */
let lookupOutput: OutputLookup = stackOutput;

const useLocalRuntime = (): void => {
  const state = readRuntimeState();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SQS: state.sqsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: state.dynamoEndpoint,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  delete process.env.AWS_PROFILE;
  lookupOutput = async (_stack, outputId) => {
    const value = state.outputs[outputId];
    if (value === undefined) throw new Error(`the local pipeline has no output ${outputId}`);
    return value;
  };
};

const apiKeysTable = (target: Target): Promise<string> =>
  target.table !== undefined ? Promise.resolve(target.table) : lookupOutput(target.stack, STACK_OUTPUTS.apiKeysTableName);

/** `--max`: a whole number from 1 up; anything else is a usage error. */
export const parsePositiveInt = (value: string): number => {
  const parsed = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a whole number of 1 or more.');
  return parsed;
};

interface DlqOptions {
  queue: DlqQueue;
  stack: string;
  dlqUrl?: string;
  sourceUrl?: string;
  max?: number;
  json?: boolean;
}

const QUEUE_LABELS: Record<DlqQueue, string> = { fanout: 'fan-out', delivery: 'delivery' };

/** The options `dlq list` and `dlq redrive` share: which queue, found how. */
const dlqCommand = (parent: Command, name: string, description: string): Command =>
  parent
    .command(name)
    .description(description)
    .addOption(new Option('--queue <queue>', 'whose dead-letter queue').choices(DLQ_QUEUES).makeOptionMandatory())
    .addOption(new Option('--stack <name>', 'the deployed stack to find the queues in').default(DEFAULT_STACK_NAME))
    .option('--dlq-url <url>', 'the dead-letter queue, instead of reading it from the stack outputs')
    .option('--source-url <url>', 'the queue it belongs to, instead of reading it from the stack outputs')
    .option('--json', 'print JSON instead of text');

export const buildProgram = (
  out: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  err: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Command => {
  const program = new Command('webhook-fanout')
    .description('Operate a webhook-fanout deployment with your own AWS credentials.')
    .showHelpAfterError()
    .option('--local', 'work on the pipeline `npm start` runs on this machine instead of a deployed stack')
    .hook('preAction', (command) => {
      if (command.opts<{ local?: boolean }>().local) useLocalRuntime();
    })
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
    .command('list')
    .description("list API keys (never the keys themselves): id, tenant, scopes, created, revoked")
    .option('--tenant <tenant>', 'only this tenant')
    .addOption(new Option('--stack <name>', 'the deployed stack to find the table in').default(DEFAULT_STACK_NAME))
    .option('--table <name>', 'the API keys table, instead of reading it from the stack outputs')
    .option('--json', 'print JSON instead of text')
    .action(async (options: { tenant?: string; json?: boolean } & Target) => {
      const store = new DynamoApiKeyStore(createDynamoClient(), await apiKeysTable(options));
      const listed = (await store.list(options.tenant)).map(({ hash: _hash, ...visible }) => visible);
      if (options.json) {
        out(JSON.stringify(listed));
        return;
      }
      if (listed.length === 0) out('no API keys');
      for (const key of listed) {
        const state = key.revokedAt === undefined ? 'active' : `revoked ${key.revokedAt}`;
        out(`${key.keyId}  ${key.tenantId}  ${key.scopes.join(',')}  created ${key.createdAt}  ${state}`);
      }
    });
  keys
    .command('revoke')
    .description('revoke an API key; functions stop accepting it within their key cache time (30 s by default)')
    .argument('<keyId>', 'the key id (key_...), as `keys list` shows it')
    .addOption(new Option('--stack <name>', 'the deployed stack to find the table in').default(DEFAULT_STACK_NAME))
    .option('--table <name>', 'the API keys table, instead of reading it from the stack outputs')
    .option('--json', 'print JSON instead of text')
    .action(async (keyId: string, options: { json?: boolean } & Target) => {
      const store = new DynamoApiKeyStore(createDynamoClient(), await apiKeysTable(options));
      if (!(await store.revoke(keyId, new Date().toISOString()))) throw new Error(`no API key ${keyId}`);
      out(options.json ? JSON.stringify({ keyId, revoked: true }) : `revoked ${keyId}`);
    });
  keys
    .command('generate')
    .description('print a new, well-formed API key without storing it (e.g. for LOCAL_API_KEY)')
    .action(() => {
      out(generateApiKey().key);
    });

  const dlq = program
    .command('dlq')
    .description('inspect the dead-letter queues and move their messages back once the cause is fixed');
  dlqCommand(dlq, 'list', "show the messages in a queue's DLQ without consuming them")
    .option('--max <n>', 'show at most this many', parsePositiveInt, DEFAULT_LIST_MAX)
    .action(async (options: DlqOptions) => {
      const { dlqUrl } = await resolveQueueUrls(options, false, lookupOutput);
      const listing = await listDeadLetters(createSqsClient(), dlqUrl, { max: options.max ?? DEFAULT_LIST_MAX });
      for (const warning of listing.warnings) err(`warning: ${warning}`);
      if (options.json) {
        out(JSON.stringify(listing.messages));
      } else {
        for (const line of formatDeadLetters(QUEUE_LABELS[options.queue], dlqUrl, listing.messages, listing.approximateCount)) {
          out(line);
        }
      }
    });
  dlqCommand(dlq, 'redrive', "move a DLQ's messages back to its queue, deleting each only once it was sent")
    .option('--max <n>', 'move at most this many (default: all that were in the DLQ when it started)', parsePositiveInt)
    .option('--dry-run', 'count what would be moved; change nothing')
    .action(async (options: DlqOptions & { dryRun?: boolean }, command: Command) => {
      if ((options.dlqUrl === undefined) !== (options.sourceUrl === undefined)) {
        command.error('error: --dlq-url and --source-url go together for redrive (or give neither to use the stack)', {
          code: 'commander.usage',
          exitCode: EXIT.usage,
        });
      }
      const { dlqUrl, sourceUrl } = await resolveQueueUrls(options, true, lookupOutput);
      const label = QUEUE_LABELS[options.queue];
      const result = await redriveDeadLetters(createSqsClient(), {
        dlqUrl,
        sourceUrl: sourceUrl!,
        ...(options.max === undefined ? {} : { max: options.max }),
        dryRun: options.dryRun === true,
      });
      for (const warning of result.warnings) err(`warning: ${warning}`);
      if (result.notDeleted.length > 0) {
        err(
          `warning: ${result.notDeleted.length} message(s) were sent to the ${label} queue but are still in the DLQ ` +
            `(a later redrive sends them again; receivers deduplicate on webhook-id): ${result.notDeleted.join(', ')}`,
        );
      }
      if (result.arrivedDuring > 0) {
        err(
          `note: ${result.arrivedDuring} message(s) reached the DLQ after the redrive started and were left there; ` +
            'if they are ones just redriven, the cause is not fixed',
        );
      }
      if (options.dryRun) {
        if (options.json) out(JSON.stringify({ dryRun: true, wouldMove: result.wouldMove, moved: 0, failed: 0 }));
        else out(`dry run: would move ${result.wouldMove} message(s) from the ${label} DLQ to the ${label} queue; nothing changed`);
      } else if (options.json) {
        out(JSON.stringify({ moved: result.moved, failed: result.failed }));
      } else {
        out(`moved ${result.moved}, failed ${result.failed} (${label} DLQ -> ${label} queue)`);
      }
      if (result.error !== undefined) throw new DlqError(result.error);
      if (result.failed > 0) throw new DlqError(`${result.failed} message(s) were not moved and are still in the ${label} DLQ`);
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
    process.stderr.write(`error: ${oneLine(error)}\n`);
    return EXIT.failure;
  }
};
