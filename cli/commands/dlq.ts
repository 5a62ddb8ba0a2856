import { Option, type Command } from 'commander';
import { createSqsClient } from '../../lambdas/aws/clients';
import {
  DEFAULT_LIST_MAX,
  DLQ_QUEUES,
  DlqError,
  formatDeadLetters,
  listDeadLetters,
  redriveDeadLetters,
  resolveQueueUrls,
  type DlqQueue,
} from '../dlq';
import { EXIT } from '../exit-codes';
import { progressBar } from '../progress-bar';
import { parsePositiveInt, withJson, withStack, type CliContext } from './context';

interface DlqOptions {
  queue: DlqQueue;
  stack: string;
  dlqUrl?: string;
  sourceUrl?: string;
  max?: number;
  json?: boolean;
}

const QUEUE_LABELS: Record<DlqQueue, string> = { fanout: 'fan-out', delivery: 'delivery' };

/** `dlq list` and `dlq redrive`: the dead-letter queues hold only what the code could not process. */
export const registerDlq = (program: Command, { out, err, progressStream, targets }: CliContext): void => {
  const dlq = program.command('dlq').description('inspect the dead-letter queues and move their messages back once the cause is fixed');
  /** The options both subcommands share: which queue, found how. */
  const dlqCommand = (name: string, description: string): Command =>
    withJson(
      withStack(
        dlq
          .command(name)
          .description(description)
          .addOption(new Option('--queue <queue>', 'whose dead-letter queue').choices(DLQ_QUEUES).makeOptionMandatory()),
        'the queues',
      )
        .option('--dlq-url <url>', 'the dead-letter queue, instead of reading it from the stack outputs')
        .option('--source-url <url>', 'the queue it belongs to, instead of reading it from the stack outputs'),
    );

  dlqCommand('list', "show the messages in a queue's DLQ without consuming them")
    .option('--max <n>', 'show at most this many', parsePositiveInt, DEFAULT_LIST_MAX)
    .action(async (options: DlqOptions) => {
      const { dlqUrl } = await resolveQueueUrls(options, false, targets.output);
      const listing = await listDeadLetters(createSqsClient(), dlqUrl, { max: options.max ?? DEFAULT_LIST_MAX });
      for (const warning of listing.warnings) err(`warning: ${warning}`);
      if (options.json) {
        out(JSON.stringify(listing.messages));
      } else {
        for (const line of formatDeadLetters(QUEUE_LABELS[options.queue], dlqUrl, listing.messages, listing.approximateCount)) out(line);
      }
    });

  dlqCommand('redrive', "move a DLQ's messages back to its queue, deleting each only once it was sent")
    .option('--max <n>', 'move at most this many (default: all that were in the DLQ when it started)', parsePositiveInt)
    .option('--dry-run', 'count what would be moved; change nothing')
    .action(async (options: DlqOptions & { dryRun?: boolean }, command: Command) => {
      if ((options.dlqUrl === undefined) !== (options.sourceUrl === undefined)) {
        command.error('error: --dlq-url and --source-url go together for redrive (or give neither to use the stack)', {
          code: 'commander.usage',
          exitCode: EXIT.usage,
        });
      }
      const { dlqUrl, sourceUrl } = await resolveQueueUrls(options, true, targets.output);
      const label = QUEUE_LABELS[options.queue];
      const bar = progressBar(progressStream, options.dryRun ? 'counted' : 'moved');
      const result = await redriveDeadLetters(createSqsClient(), {
        dlqUrl,
        sourceUrl: sourceUrl!,
        ...(options.max === undefined ? {} : { max: options.max }),
        dryRun: options.dryRun === true,
        onProgress: (done, total) => bar.update(done, total),
      });
      bar.finish();
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
};
