import type { RequestBehaviour } from './chaos-receiver';
import type { ChaosResult } from './run-chaos';
import type { SubscriptionRow } from './reconcile-chaos';

/** A chaos run's result as Markdown tables: what `npm run chaos` prints and docs/chaos.md quotes. */

const n = (value: number): string => value.toLocaleString('en-US');
const percent = (share: number): string => `${Math.round(share * 1000) / 10}%`;

const table = (header: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number> = new Set()): string => {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (rightAligned.has(column) ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
};

const BEHAVIOUR_LABELS: Record<RequestBehaviour, string> = {
  ok: '200 at once',
  slow: '200, slowly (within the timeout)',
  huge_body: '200 with an 8 MB body',
  server_error: '500, 502 or 504',
  throttled_seconds: '429, Retry-After in seconds',
  unavailable_date: '503, Retry-After as an HTTP date',
  gone: '410 Gone',
  never_answers: 'read, never answered',
  reset_after_read: 'read, then connection reset',
  trickle: '200, body trickled past the timeout',
};

const RECEIVER_COLUMNS = [
  'receiver',
  'fails',
  'delivered',
  'exhausted',
  'skipped',
  'not fanned out',
  'lost',
  'sent',
  'not sent',
  'seen',
  'reset unread',
  'sent, never read',
  'duplicates',
  'unexplained',
  'exposed pairs',
  'signatures ok',
] as const;

const receiverRow = (row: SubscriptionRow): string[] => [
  row.name,
  Number.isNaN(row.failureShare) ? '' : percent(row.failureShare),
  n(row.delivered),
  n(row.exhausted),
  n(row.skipped),
  n(row.notFannedOut),
  n(row.lost),
  n(row.sent),
  n(row.notSent),
  n(row.seen),
  n(row.resetUnread),
  n(row.sentUnread),
  n(row.duplicates),
  n(row.unexplainedDuplicates),
  n(row.exposedPairs),
  n(row.signaturesVerified),
];

export const formatChaos = (result: ChaosResult): string => {
  const { options, reconciliation: r, receivers, pipeline } = result;
  const numeric = new Set(Array.from({ length: RECEIVER_COLUMNS.length - 1 }, (_, i) => i + 1));
  const settings = table(
    ['setting', 'value'],
    [
      ['seed', String(options.seed)],
      ['events x subscriptions', `${n(options.events)} x ${n(options.subscriptions)} = ${n(result.deliveries)} deliveries`],
      ['retry schedule (WEBHOOK_RETRY_SCHEDULE)', `${options.retrySchedule.join(',')} s: ${result.scheduledAttempts} attempts`],
      ['attempt timeout (WEBHOOK_TIMEOUT_MS)', `${n(options.attemptTimeoutMs)} ms`],
      ['delivery function timeout', `${options.functionTimeoutMs / 1000} s`],
      ['delivery queue visibility timeout', `${options.visibilityTimeoutSeconds} s`],
      ['delivery invocations at once', `${options.concurrency} (each in its own worker, 2 more kept warm)`],
      [
        'circuit breaker (WEBHOOK_CIRCUIT_BREAKER_THRESHOLD)',
        options.circuitBreakerThreshold === undefined ? "the stack's" : `opens after ${options.circuitBreakerThreshold} attempts without an answer in a row`,
      ],
      ['delivery invocations killed mid-batch', `${percent(options.crashShare)} of batches of 3 messages or more, at least ${options.minCrashes}`],
      [
        'delivery function AWS calls failing',
        `${percent(options.awsFaultShare)} once, ${percent(options.awsFaultShare / 4)} twice, ${percent(options.awsFaultShare / 8)} every attempt`,
      ],
      [
        'receivers',
        `fail ${percent(options.failureShare[0])} to ${percent(options.failureShare[1])} of requests each; reset ${percent(options.resetUnreadShare)} of new connections unread` +
          `; ${percent(options.startDown.share)} of them down for ${options.startDown.forMs[0] / 1000} to ${options.startDown.forMs[1] / 1000} s as publishing starts` +
          `; ${options.goneReceivers} turn(s) 410 Gone partway`,
      ],
    ],
  );
  const byReceiver = table(RECEIVER_COLUMNS, [...r.rows.map(receiverRow), receiverRow(r.totals)], numeric);
  const faults = table(
    ['fault', 'count'],
    [
      ...(Object.entries(BEHAVIOUR_LABELS) as [RequestBehaviour, string][]).map(([behaviour, label]) => [`receiver answered: ${label}`, n(receivers.byBehaviour[behaviour])]),
      ['receiver reset a connection before reading the request', n(receivers.resetUnread)],
      [
        'receivers down when publishing started (connections refused), for',
        receivers.startedDown.length === 0 ? '0' : `${receivers.startedDown.length}: ${receivers.startedDown.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}`,
      ],
      ['delivery invocations (messages per batch on average; longest that completed)', `${n(pipeline.invocations)} (${pipeline.meanBatch.toFixed(1)}; ${(pipeline.longestCompletedMs / 1000).toFixed(1)} s)`],
      ['delivery invocations killed mid-batch', n(pipeline.crashed)],
      ['delivery invocations past the function timeout (worker ended)', n(pipeline.timedOut)],
      ['delivery invocations failed as a whole', n(pipeline.failed)],
      ['delivery invocations with an AWS call that failed every attempt or lost its answer', n(pipeline.withAwsFault)],
      ['delivery environments started again (cold starts)', n(pipeline.restarts)],
      [
        'SQS calls of the delivery function: made, faulted (of those: failed every attempt, answer lost)',
        `${n(pipeline.aws.sqs.calls)}, ${n(pipeline.aws.sqs.faulted)} (${n(pipeline.aws.sqs.exhausted)}, ${n(pipeline.aws.sqs.lost)})`,
      ],
      [
        'DynamoDB calls of the delivery function: made, faulted (of those: failed every attempt, answer lost)',
        `${n(pipeline.aws.dynamodb.calls)}, ${n(pipeline.aws.dynamodb.faulted)} (${n(pipeline.aws.dynamodb.exhausted)}, ${n(pipeline.aws.dynamodb.lost)})`,
      ],
      [
        'pairs exposed to a pipeline fault (by the gravest: crash, timeout, failed invocation, AWS call)',
        `${n(r.totals.exposedPairs)} (${n(r.exposures.crashed)}, ${n(r.exposures.timed_out)}, ${n(r.exposures.failed)}, ${n(r.exposures.aws_fault)})`,
      ],
    ],
    new Set([1]),
  );
  const checks = table(
    ['check', 'result', 'detail'],
    [
      ...r.checks.map((check) => [check.name, check.ok ? 'ok' : 'FAILED', check.detail]),
      ['drained within the time budget', result.drained ? 'ok' : 'FAILED', `${Math.round(result.durations.settleMs / 1000)} s of ${options.settleTimeoutMs / 1000} s`],
    ],
  );
  const duration =
    `Published in ${(result.durations.publishMs / 1000).toFixed(1)} s, drained ${(result.durations.settleMs / 1000).toFixed(1)} s later, ` +
    `${(result.durations.totalMs / 1000).toFixed(1)} s in all.`;
  return [
    '### Settings',
    '',
    settings,
    '',
    '### Deliveries by receiver',
    '',
    byReceiver,
    '',
    '### Faults injected',
    '',
    faults,
    '',
    '### Checks',
    '',
    checks,
    '',
    duration,
    ...(r.problems.length > 0 ? ['', '### Problems', '', ...r.problems.map((line) => `- ${line}`)] : []),
  ].join('\n');
};
