import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type DeleteMessageBatchCommandOutput,
  type Message,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, it } from 'vitest';
import { packEntries } from '../../lambdas/aws/sqs-publisher';
import {
  DLQ_QUEUES,
  entryBytes,
  formatDeadLetters,
  listDeadLetters,
  previewBody,
  redriveAttributes,
  redriveDeadLetters,
  resolveQueueUrls,
  toDeadLetter,
  type DeadLetter,
} from '../../cli/dlq';
import { parsePositiveInt } from '../../cli/commands/context';
import { MAX_BATCH_BYTES } from '../../lambdas/aws/sqs-publisher';
import { STACK_OUTPUTS, type StackOutputId } from '../../lib/stack-outputs';
import { createStackResources, localClients, localEnvironment, type StackResources } from '../support/emulators';

const exec = promisify(execFile);

/** Runs the real CLI entry point (`node cli/bin.mjs`) as an operator would. */
const cli = (args: string[], env: Record<string, string> = localEnvironment()) =>
  exec(process.execPath, ['cli/bin.mjs', ...args], { env: { ...process.env, ...env }, cwd: process.cwd() }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

interface Queues {
  deliveryQueue: string;
  deliveryDlq: string;
  fanoutQueue: string;
  fanoutDlq: string;
}

/** The queue URLs the stack's outputs give, resolved against the queues created locally. */
const queuesOf = (stack: StackResources): Queues => {
  const output = (id: StackOutputId): string => {
    const outputs = stack.template.Outputs as Record<string, { Value: unknown }>;
    return stack.resolveValue(outputs[id]!.Value) as string;
  };
  return {
    deliveryQueue: output(STACK_OUTPUTS.deliveryQueueUrl),
    deliveryDlq: output(STACK_OUTPUTS.deliveryDeadLetterQueueUrl),
    fanoutQueue: output(STACK_OUTPUTS.fanoutQueueUrl),
    fanoutDlq: output(STACK_OUTPUTS.fanoutDeadLetterQueueUrl),
  };
};

const countOf = async (queueUrl: string, attribute: 'ApproximateNumberOfMessages' | 'ApproximateNumberOfMessagesNotVisible') => {
  const { Attributes } = await localClients().sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [attribute] }),
  );
  return Number(Attributes?.[attribute] ?? 0);
};
const visible = (queueUrl: string) => countOf(queueUrl, 'ApproximateNumberOfMessages');
const hidden = (queueUrl: string) => countOf(queueUrl, 'ApproximateNumberOfMessagesNotVisible');

/** Consumes everything visible in a queue (the assertions' view of it). */
const drain = async (queueUrl: string): Promise<Message[]> => {
  const messages: Message[] = [];
  for (;;) {
    const { Messages = [] } = await localClients().sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 120, MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return messages;
    messages.push(...Messages);
  }
};

const deliveryBody = (n: number) => JSON.stringify({ v: 1, tenantId: 'acme', eventId: `evt_${n}`, subscriptionId: `sub_${n}` });

/** Three messages as the handlers leave them: two dead-lettered by the redrive policy, one moved with a reason. */
const seedDeliveryDlq = async (dlqUrl: string): Promise<string[]> => {
  const { sqs } = localClients();
  const bodies = [deliveryBody(1), deliveryBody(2), '{"v":1,"broken":']; // the third never parsed
  await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: bodies[0]! }));
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: bodies[1]!,
      MessageAttributes: { traceparent: { DataType: 'String', StringValue: '00-abc-def-01' } },
    }),
  );
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: bodies[2]!,
      MessageAttributes: { reason: { DataType: 'String', StringValue: 'message is not valid JSON' } },
    }),
  );
  return bodies;
};

const fillQueue = async (queueUrl: string, count: number): Promise<string[]> => {
  const bodies = Array.from({ length: count }, (_, i) => deliveryBody(100 + i));
  for (const body of bodies) await localClients().sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  return bodies;
};

describe('CLI: webhook-fanout dlq', { timeout: 60_000 }, () => {
  let queues: Queues;
  let seeded: string[];

  beforeEach(async () => {
    queues = queuesOf(await createStackResources());
    seeded = await seedDeliveryDlq(queues.deliveryDlq);
  });

  const target = () => ['--queue', 'delivery', '--dlq-url', queues.deliveryDlq, '--source-url', queues.deliveryQueue];

  it('lists the DLQ as JSON without consuming it: every message is visible again right after', async () => {
    // Act
    const listed = await cli(['dlq', 'list', ...target(), '--json']);

    // Assess
    expect(listed.code).toBe(0);
    const messages = JSON.parse(listed.stdout) as DeadLetter[];
    expect(messages).toHaveLength(3);
    expect(messages.map((m) => m.body).sort()).toEqual([...seeded].sort());
    const poisoned = messages.find((m) => m.body === seeded[2]);
    expect(poisoned).toMatchObject({ reason: 'message is not valid JSON', receiveCount: 1 });
    expect(poisoned!.messageId).toMatch(/\S/);
    expect(Date.parse(poisoned!.sentAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(messages.filter((m) => m.reason === null)).toHaveLength(2);
    expect(await visible(queues.deliveryDlq)).toBe(3);
    expect(await hidden(queues.deliveryDlq)).toBe(0);
  });

  it('lists as text: a header with the count, then id, sent time, receives, reason and the body', async () => {
    // Act
    const listed = await cli(['dlq', 'list', ...target()]);

    // Assess
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`delivery DLQ ${queues.deliveryDlq}: showing 3 of about 3 message(s)`);
    expect(lines).toHaveLength(7);
    expect(listed.stdout).toContain('reason: message is not valid JSON');
    expect(listed.stdout).toContain(`  ${seeded[2]}`);
    expect(listed.stdout).toMatch(/ sent \d{4}-\d\d-\d\dT[\d:.]+Z {2}receives 1 {2}reason: -/);
  });

  it('shows at most --max messages, and all of them remain', async () => {
    // Act
    const listed = await cli(['dlq', 'list', ...target(), '--max', '2', '--json']);

    // Assess
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toHaveLength(2);
    expect(await visible(queues.deliveryDlq)).toBe(3);
  });

  it('changes nothing on a dry run, and says how many it would move', async () => {
    // Act
    const dryRun = await cli(['dlq', 'redrive', ...target(), '--dry-run', '--json']);

    // Assess
    expect(dryRun.code).toBe(0);
    expect(JSON.parse(dryRun.stdout)).toEqual({ dryRun: true, wouldMove: 3, moved: 0, failed: 0 });
    expect(await visible(queues.deliveryDlq)).toBe(3);
    expect(await visible(queues.deliveryQueue)).toBe(0);
  });

  it('redrives every message to the delivery queue with its body and attributes, minus the reason', async () => {
    // Act
    const redriven = await cli(['dlq', 'redrive', ...target(), '--json']);

    // Assess
    expect(redriven.code).toBe(0);
    expect(JSON.parse(redriven.stdout)).toEqual({ moved: 3, failed: 0 });
    expect(redriven.stderr).toBe('');
    expect(await visible(queues.deliveryDlq) + (await hidden(queues.deliveryDlq))).toBe(0);
    const moved = await drain(queues.deliveryQueue);
    expect(moved.map((m) => m.Body).sort()).toEqual([...seeded].sort());
    const traced = moved.find((m) => m.Body === seeded[1]);
    expect(traced?.MessageAttributes).toEqual({ traceparent: { DataType: 'String', StringValue: '00-abc-def-01' } });
    expect(moved.find((m) => m.Body === seeded[2])?.MessageAttributes).toBeUndefined();
  });

  it('prints a count summary as text', async () => {
    // Act
    const redriven = await cli(['dlq', 'redrive', ...target(), '--max', '2']);

    // Assess
    expect(redriven.code).toBe(0);
    expect(redriven.stdout.trim()).toBe('moved 2, failed 0 (delivery DLQ -> delivery queue)');
    expect(await visible(queues.deliveryDlq)).toBe(1);
    expect(await visible(queues.deliveryQueue)).toBe(2);
  });

  it('exits 2 on usage errors', async () => {
    // Act
    const results = await Promise.all([
      cli(['dlq', 'list', '--dlq-url', queues.deliveryDlq]),
      cli(['dlq', 'list', '--queue', 'events', '--dlq-url', queues.deliveryDlq]),
      cli(['dlq', 'list', ...target(), '--max', '0']),
      cli(['dlq', 'redrive', ...target(), '--max', 'ten']),
      cli(['dlq', 'redrive', '--queue', 'delivery', '--dlq-url', queues.deliveryDlq]),
      cli(['dlq', 'purge', ...target()]),
    ]);

    // Assess
    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(results[0]!.stderr).toContain("required option '--queue <queue>'");
    expect(results[1]!.stderr).toContain('Allowed choices are fanout, delivery');
    expect(results[2]!.stderr).toContain('must be a whole number of 1 or more');
    expect(results[4]!.stderr).toContain('--dlq-url and --source-url go together');
    expect(await visible(queues.deliveryDlq)).toBe(3);
  });

  it('exits 1 with a one-line error and no stack trace on an unknown queue or an unreachable endpoint', async () => {
    // Prepare
    const missing = queues.deliveryDlq.replace(/[^/]+$/, 'no-such-queue');
    const unreachable = { ...localEnvironment(), AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1' };

    // Act
    const results = await Promise.all([
      cli(['dlq', 'list', '--queue', 'delivery', '--dlq-url', missing]),
      cli(['dlq', 'redrive', '--queue', 'delivery', '--dlq-url', missing, '--source-url', queues.deliveryQueue]),
      cli(['dlq', 'redrive', '--queue', 'delivery', '--dlq-url', queues.deliveryDlq, '--source-url', missing, '--json']),
      cli(['dlq', 'list', ...target()], unreachable),
    ]);

    // Assess
    expect(results.map((r) => r.code)).toEqual([1, 1, 1, 1]);
    for (const result of results) {
      expect(result.stderr).toMatch(/^error: .+\n$/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(results[0]!.stderr).toContain(`could not receive from ${missing}: The specified queue does not exist`);
    expect(results[2]!.stderr).toContain(`could not read the source queue ${missing}`);
    expect(JSON.parse(results[2]!.stdout)).toEqual({ moved: 0, failed: 0 });
    expect(results[3]!.stderr).toContain('ECONNREFUSED');
    expect(await visible(queues.deliveryDlq)).toBe(3);
  });

  it("refuses to redrive into a queue whose redrive policy is not this DLQ's", async () => {
    // Act: the delivery DLQ paired with the fan-out queue by mistake
    const result = await cli(['dlq', 'redrive', '--queue', 'delivery', '--dlq-url', queues.deliveryDlq, '--source-url', queues.fanoutQueue]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not dead-letter to');
    expect(await visible(queues.deliveryDlq)).toBe(3);
    expect(await visible(queues.fanoutQueue)).toBe(0);
  });
});

/**
 * The real emulator client with faults injected per command, for what SQS does rarely: partial
 * batch failures, whole calls failing, messages arriving mid-run.
 */
const faultyClient = (
  hooks: {
    sendBatch?: (
      input: SendMessageBatchCommand['input'],
      send: (input: SendMessageBatchCommand['input']) => Promise<SendMessageBatchCommandOutput>,
    ) => Promise<SendMessageBatchCommandOutput>;
    deleteBatch?: (
      input: DeleteMessageBatchCommand['input'],
      send: (input: DeleteMessageBatchCommand['input']) => Promise<DeleteMessageBatchCommandOutput>,
    ) => Promise<DeleteMessageBatchCommandOutput>;
  } = {},
): { client: SQSClient; sendBatches: number[] } => {
  const { sqs } = localClients();
  const sendBatches: number[] = [];
  const client = {
    send: (command: unknown) => {
      if (command instanceof SendMessageBatchCommand) {
        sendBatches.push(command.input.Entries?.length ?? 0);
        const send = (input: SendMessageBatchCommand['input']) => sqs.send(new SendMessageBatchCommand(input));
        return hooks.sendBatch ? hooks.sendBatch(command.input, send) : send(command.input);
      }
      if (command instanceof DeleteMessageBatchCommand && hooks.deleteBatch) {
        return hooks.deleteBatch(command.input, (input) => sqs.send(new DeleteMessageBatchCommand(input)));
      }
      return sqs.send(command as never);
    },
  };
  return { client: client as unknown as SQSClient, sendBatches };
};

describe('Function: redriveDeadLetters (emulator, injected faults)', () => {
  let queues: Queues;

  beforeEach(async () => {
    queues = queuesOf(await createStackResources());
  });

  const pair = () => ({ dlqUrl: queues.deliveryDlq, sourceUrl: queues.deliveryQueue, waitTimeSeconds: 0 });

  it('moves 25 messages in batches of at most 10, and stops at --max', async () => {
    // Prepare
    const bodies = await fillQueue(queues.deliveryDlq, 25);
    const { client, sendBatches } = faultyClient();

    // Act
    const first = await redriveDeadLetters(client, { ...pair(), max: 5 });
    const rest = await redriveDeadLetters(client, pair());

    // Assess
    expect(first).toMatchObject({ moved: 5, failed: 0 });
    expect(rest).toMatchObject({ moved: 20, failed: 0, notDeleted: [], arrivedDuring: 0 });
    expect(rest.error).toBeUndefined();
    expect(Math.max(...sendBatches)).toBeLessThanOrEqual(10);
    expect(sendBatches.slice(1).filter((n) => n === 10).length).toBeGreaterThanOrEqual(1);
    expect((await drain(queues.deliveryQueue)).map((m) => m.Body).sort()).toEqual([...bodies].sort());
    expect(await visible(queues.deliveryDlq)).toBe(0);
  });

  it('reports progress after each batch against the count at the start, for the progress bar', async () => {
    // Prepare
    await fillQueue(queues.deliveryDlq, 23);
    const reports: [number, number | undefined][] = [];

    // Act
    const result = await redriveDeadLetters(localClients().sqs, { ...pair(), onProgress: (done, total) => reports.push([done, total]) });

    // Assess
    expect(result).toMatchObject({ moved: 23, failed: 0 });
    expect(reports[0]).toEqual([0, 23]);
    expect(reports.at(-1)).toEqual([23, 23]);
    expect(reports.map(([done]) => done)).toEqual([...reports.map(([done]) => done)].sort((a, b) => a - b));
    expect(reports.length).toBeGreaterThanOrEqual(4);
  });

  it('deletes only what was sent: an entry SQS reports failed stays in the DLQ, visible again', async () => {
    // Prepare
    const bodies = await fillQueue(queues.deliveryDlq, 4);
    const unlucky = bodies[2]!;
    const { client } = faultyClient({
      sendBatch: async (input, send) => {
        const failing = (input.Entries ?? []).filter((e) => e.MessageBody === unlucky);
        const output = await send({ ...input, Entries: (input.Entries ?? []).filter((e) => e.MessageBody !== unlucky) });
        output.Failed = failing.map((e) => ({ Id: e.Id!, Code: 'InternalError', SenderFault: false, Message: 'injected' }));
        return output;
      },
    });

    // Act
    const result = await redriveDeadLetters(client, pair());

    // Assess
    expect(result).toMatchObject({ moved: 3, failed: 1, notDeleted: [] });
    expect(result.warnings.join()).toContain('1 message(s) could not be sent');
    expect((await drain(queues.deliveryDlq)).map((m) => m.Body)).toEqual([unlucky]);
    expect((await drain(queues.deliveryQueue)).map((m) => m.Body).sort()).toEqual(bodies.filter((b) => b !== unlucky).sort());
  });

  it('stops and keeps every message when a send fails as a whole', async () => {
    // Prepare
    await fillQueue(queues.deliveryDlq, 3);
    const { client } = faultyClient({
      sendBatch: () => Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })),
    });

    // Act
    const result = await redriveDeadLetters(client, pair());

    // Assess
    expect(result).toMatchObject({ moved: 0, failed: 3 });
    expect(result.error).toContain('could not send to the source queue');
    expect(await visible(queues.deliveryDlq)).toBe(3);
    expect(await visible(queues.deliveryQueue)).toBe(0);
  });

  it('reports a message it sent but could not delete as failed and by id: it is in both queues', async () => {
    // Prepare
    await fillQueue(queues.deliveryDlq, 3);
    const { client } = faultyClient({
      deleteBatch: async (input, remove) => {
        const [first, ...others] = input.Entries ?? [];
        const output = await remove({ ...input, Entries: others });
        output.Failed = [{ Id: first!.Id!, Code: 'InternalError', SenderFault: false, Message: 'injected' }];
        return output;
      },
    });

    // Act
    const result = await redriveDeadLetters(client, pair());

    // Assess
    expect(result).toMatchObject({ moved: 2, failed: 1 });
    expect(result.notDeleted).toHaveLength(1);
    expect(await visible(queues.deliveryDlq)).toBe(1);
    expect(await visible(queues.deliveryQueue)).toBe(3);
  });

  it('leaves messages that reach the DLQ during the run, so a message that fails again at once does not loop', async () => {
    // Prepare: every message sent back is "malformed" and bounces into the DLQ at once
    const bodies = await fillQueue(queues.deliveryDlq, 3);
    const { sqs } = localClients();
    const { client } = faultyClient({
      sendBatch: async (input, send) => {
        const output = await send(input);
        for (const entry of input.Entries ?? []) {
          await sqs.send(new SendMessageCommand({ QueueUrl: queues.deliveryDlq, MessageBody: entry.MessageBody! }));
        }
        return output;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 5)); // the seeded messages predate the run

    // Act
    const result = await redriveDeadLetters(client, pair());

    // Assess
    expect(result).toMatchObject({ moved: 3, failed: 0, arrivedDuring: 3 });
    expect((await drain(queues.deliveryDlq)).map((m) => m.Body).sort()).toEqual([...bodies].sort());
  });

  it('lists oldest first and leaves the queue as it was', async () => {
    // Prepare
    const bodies = await fillQueue(queues.deliveryDlq, 12);

    // Act
    const listing = await listDeadLetters(localClients().sqs, queues.deliveryDlq, { max: 11, waitTimeSeconds: 0 });

    // Assess
    expect(listing.messages).toHaveLength(11);
    expect(listing.approximateCount).toBe(12);
    const sent = listing.messages.map((m) => m.sentAt!);
    expect(sent).toEqual([...sent].sort());
    expect(new Set(listing.messages.map((m) => m.body)).size).toBe(11);
    expect(bodies).toEqual(expect.arrayContaining(listing.messages.map((m) => m.body)));
    expect(await visible(queues.deliveryDlq)).toBe(12);
  });
});

describe('dlq: pure parts', () => {
  it('parses --max as a whole number from 1', () => {
    expect(parsePositiveInt('1')).toBe(1);
    expect(parsePositiveInt(' 500 ')).toBe(500);
    for (const bad of ['0', '-3', '2.5', 'ten', '', '1e3', '99999999999999999999']) {
      expect(() => parsePositiveInt(bad), bad).toThrow('must be a whole number');
    }
  });

  it('resolves queue URLs from the stack outputs unless given', async () => {
    // Prepare
    const asked: string[] = [];
    const lookup = async (stack: string, output: StackOutputId) => {
      asked.push(`${stack}/${output}`);
      return `url-of-${output}`;
    };

    // Act
    const fromStack = await resolveQueueUrls({ queue: 'fanout' }, true, lookup);
    const listOnly = await resolveQueueUrls({ queue: 'delivery', stack: 'Other' }, false, lookup);
    const given = await resolveQueueUrls({ queue: 'delivery', dlqUrl: 'd', sourceUrl: 's' }, true, lookup);

    // Assess
    expect(fromStack).toEqual({ dlqUrl: 'url-of-FanoutDeadLetterQueueUrl', sourceUrl: 'url-of-FanoutQueueUrl' });
    expect(listOnly).toEqual({ dlqUrl: 'url-of-DeliveryDeadLetterQueueUrl' });
    expect(given).toEqual({ dlqUrl: 'd', sourceUrl: 's' });
    expect(asked).toEqual([
      'WebhookFanout/FanoutDeadLetterQueueUrl',
      'WebhookFanout/FanoutQueueUrl',
      'Other/DeliveryDeadLetterQueueUrl',
    ]);
    expect(DLQ_QUEUES).toEqual(['fanout', 'delivery']);
  });

  it('keeps every attribute but the reason for the redriven message', () => {
    const binary = new Uint8Array([1, 2, 3]);
    expect(
      redriveAttributes({
        reason: { DataType: 'String', StringValue: 'bad' },
        traceparent: { DataType: 'String', StringValue: 't' },
        blob: { DataType: 'Binary', BinaryValue: binary, StringListValues: [], BinaryListValues: [] },
      }),
    ).toEqual({ traceparent: { DataType: 'String', StringValue: 't' }, blob: { DataType: 'Binary', BinaryValue: binary } });
    expect(redriveAttributes({ reason: { DataType: 'String', StringValue: 'bad' } })).toBeUndefined();
    expect(redriveAttributes(undefined)).toBeUndefined();
  });

  it('packs entries within ten per batch and the request size, counting attributes too', () => {
    // Prepare: 300 KiB bodies with a 100 KiB attribute each, so two fit in one request
    const big = { MessageBody: 'x'.repeat(300 * 1024), MessageAttributes: { a: { DataType: 'String', StringValue: 'y'.repeat(100 * 1024) } } };
    const small = { MessageBody: '{}' };

    // Act
    const bigBatches = packEntries([big, big, big, big, big], entryBytes);
    const smallBatches = packEntries(Array.from({ length: 23 }, () => small), entryBytes);

    // Assess
    expect(bigBatches.map((b) => b.length)).toEqual([2, 2, 1]);
    for (const batch of bigBatches) expect(batch.reduce((n, e) => n + entryBytes(e), 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    expect(smallBatches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(packEntries([], entryBytes)).toEqual([]);
  });

  it('shows a body on one line, cut at 200 characters with its size', () => {
    expect(previewBody('{"a":\n1}')).toBe('{"a": 1}');
    const long = previewBody('é'.repeat(300));
    expect(long).toBe(`${'é'.repeat(200)}... (600 bytes)`);
  });

  it('reads id, sent time, receive count and reason from a received message', () => {
    const letter = toDeadLetter({
      MessageId: 'm-1',
      Body: '{}',
      Attributes: { SentTimestamp: '1700000000000', ApproximateReceiveCount: '4' },
      MessageAttributes: { reason: { DataType: 'String', StringValue: 'not JSON' } },
    });
    expect(letter).toEqual({ messageId: 'm-1', sentAt: '2023-11-14T22:13:20.000Z', receiveCount: 4, reason: 'not JSON', body: '{}' });
    expect(toDeadLetter({ MessageId: 'm-2' })).toEqual({ messageId: 'm-2', sentAt: null, receiveCount: null, reason: null, body: '' });
    expect(formatDeadLetters('fan-out', 'q', [letter], null)).toEqual([
      'fan-out DLQ q: showing 1 message(s)',
      'm-1  sent 2023-11-14T22:13:20.000Z  receives 4  reason: not JSON',
      '  {}',
    ]);
    expect(formatDeadLetters('delivery', 'q', [], 0)).toEqual(['delivery DLQ q: empty']);
    expect(formatDeadLetters('delivery', 'q', [], 2)).toEqual(['delivery DLQ q: no message visible now, about 2 in flight (another reader?)']);
  });
});
