import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { FunctionHost } from '../../../local/lambda/host';
import { InvocationTimeoutError } from '../../../local/lambda/context';
import { seededRandom, startFaultProxy, type FaultProxy, type ObservedCall } from '../fault-proxy';

/**
 * The delivery function as Lambda runs it under stress: a pool of execution environments, each a
 * worker thread importing the real handler (local/lambda/host.ts, as `npm start` runs it), one
 * invocation at a time each. Each environment reaches SQS and DynamoDB through fault proxies of
 * its own (test/support/fault-proxy.ts), so every injected fault is known to have hit the
 * invocation running there. On a seeded draw an invocation is killed in the middle of its batch:
 * its worker is terminated (requests in flight die with it, nothing more is written) and a fresh
 * one takes its place, as after a crashed Lambda; the event source deletes nothing of that batch
 * and its messages reappear when their visibility timeout ends. An invocation past the function
 * timeout is ended the same way.
 *
 * Every invocation is kept in a ledger with the (event, subscription) pairs its messages carried,
 * so the reconciliation can tell which pairs a pipeline fault may have exposed to a duplicate.
 */

export type InvocationOutcome =
  /** Returned a batch response. */
  | 'completed'
  /** Killed mid-batch by the harness. */
  | 'crashed'
  /** Ran past the function timeout; its worker was ended. */
  | 'timed_out'
  /** The handler threw (the batch stays on the queue). */
  | 'failed'
  /** No environment came free in time; the handler never ran. */
  | 'not_started';

export interface InvocationRecord {
  readonly environment: number;
  readonly startedAt: number;
  endedAt: number;
  /**
   * Each message it handled: those of its batch, and any it received from the queue itself while
   * it ran (seen through its SQS proxy): whether a group, how often SQS had handed it out, its deliveries.
   */
  readonly messages: CarriedMessage[];
  /** `eventId subscriptionId` of every delivery its messages carried. */
  readonly pairs: string[];
  /** The messages it left on the queue: reported failed (retries, deferrals, errors), taken and not deleted, or all of them. */
  leftOnQueue: CarriedMessage[];
  outcome: InvocationOutcome;
  /** Calls of this invocation every attempt of which failed (the SDK gave up). */
  exhaustedCalls: number;
  /** Messages it sent (split-outs, operational events, dead letters) whose answer was lost: the SDK may have sent them twice. */
  lostSends: number;
  /** Other calls of this invocation that were applied but whose answer was lost. */
  lostAnswers: number;
  /** The pairs of the delivery messages among those sent: a message for each may now exist twice. */
  duplicatedPairs: string[];
  /**
   * Pairs whose outcome this invocation wrote (a DynamoDB write naming both the event and the
   * subscription outside its key, answered): a request it sent to them is in the log.
   */
  recordedPairs: Set<string>;
  /** Errors the emulators themselves answered (not injected), as `operation: type`: a conditional write that lost, say. */
  awsErrors: string[];
}

export interface CarriedMessage {
  readonly kind: 'group' | 'single' | 'malformed';
  readonly receiveCount: number;
  readonly pairs: readonly string[];
  /** Received by the function itself rather than handed to it in the batch. */
  readonly taken: boolean;
}

export interface AwsFaultRates {
  /** Share of calls whose first attempt fails (the SDK's retry succeeds). */
  readonly transient: number;
  /** Share of calls whose first two attempts fail. */
  readonly twice: number;
  /** Share of calls whose every attempt fails: the error reaches the handler. */
  readonly exhausting: number;
}

export interface DeliveryEnvironmentsOptions {
  /** Invocations at once (the event source's maximum concurrency). */
  readonly concurrency: number;
  /** Warm environments beyond `concurrency`, so a crash's cold start holds up no poller. */
  readonly spare: number;
  readonly functionName: string;
  readonly handlerSource: string;
  readonly handlerExport: string;
  readonly memoryMb: number;
  /** The function's environment (the proxies' endpoints are set per environment on top of it). */
  readonly environment: Record<string, string>;
  /** The function timeout of the run. */
  readonly timeoutMs: number;
  /** How long an invocation may wait for a free environment before it fails unstarted. */
  readonly maxWaitMs: number;
  readonly seed: number;
  /** Share of invocations of at least `crashMinMessages` messages killed in the middle of their batch. */
  readonly crashShare: number;
  /** Only a batch this large has a middle to die in. */
  readonly crashMinMessages: number;
  /** At least this many crashes: until there were, every eligible invocation after the first few dies. */
  readonly minCrashes: number;
  /** The kill comes this long after the invocation started (uniform in the range). */
  readonly crashAfterMs: readonly [number, number];
  readonly sqsEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly awsFaults: AwsFaultRates;
  readonly log?: (line: string) => void;
}

interface Slot {
  readonly index: number;
  host: FunctionHost | undefined;
  starting: Promise<void> | undefined;
  busy: boolean;
  readonly sqs: FaultProxy;
  readonly dynamo: FaultProxy;
  /** The invocation running in it. */
  current: InvocationRecord | undefined;
  /** Messages the running invocation received itself and has not deleted, by receipt handle. */
  readonly taken: Map<string, CarriedMessage>;
}

/** Eligible invocations spared before owed crashes come due, so the run is under way when they do. */
const FIRST_SPARED = 3;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The (event, subscription) pairs a delivery-queue message stands for, read leniently (a group
 * lists `subscriptions`, a single delivery names `subscriptionId`); none for a malformed one.
 */
export const carriedBy = (body: string, receiveCount: number, taken = false): CarriedMessage => {
  const message = parseJson<{ eventId?: unknown; subscriptionId?: unknown; subscriptions?: { id?: unknown }[] }>(body);
  const eventId = typeof message?.eventId === 'string' ? message.eventId : undefined;
  if (eventId !== undefined && Array.isArray(message?.subscriptions)) {
    return { kind: 'group', receiveCount, taken, pairs: message.subscriptions.map((subscription) => `${eventId} ${String(subscription?.id)}`) };
  }
  if (eventId !== undefined && typeof message?.subscriptionId === 'string') {
    return { kind: 'single', receiveCount, taken, pairs: [`${eventId} ${message.subscriptionId}`] };
  }
  return { kind: 'malformed', receiveCount, taken, pairs: [] };
};

interface SqsMessageJson {
  ReceiptHandle?: string;
  Body?: string;
  Attributes?: Record<string, string>;
}

const EVENT_ID = /evt_[0-9A-Z]{26}/g;
const SUBSCRIPTION_ID = /sub_[0-9A-Z]{26}/g;

/** `PutItem: ConditionalCheckFailedException`, from an error the emulator answered. */
const errorOf = (call: ObservedCall): string => {
  const type = parseJson<{ __type?: string }>(call.responseBody)?.__type ?? `HTTP ${call.status}`;
  return `${call.operation.split('.').at(-1)}: ${type.split('#').at(-1)}`;
};

const parseJson = <T>(text: string): T | undefined => {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
};

export class DeliveryEnvironments {
  readonly ledger: InvocationRecord[] = [];
  /** Cold starts after the first ones (one per crash or timeout). */
  restarts = 0;
  private readonly slots: Slot[] = [];
  private readonly random: () => number;
  private stopped = false;
  /** Invocations so far that were large enough to crash. */
  private eligible = 0;

  private constructor(private readonly options: DeliveryEnvironmentsOptions) {
    this.random = seededRandom(options.seed);
  }

  static async start(options: DeliveryEnvironmentsOptions): Promise<DeliveryEnvironments> {
    const environments = new DeliveryEnvironments(options);
    const count = options.concurrency + options.spare;
    for (let index = 0; index < count; index++) {
      const proxy = (target: string, name: string, salt: number, observe?: (call: ObservedCall) => void) =>
        startFaultProxy({
          target,
          name: `${name}-${index}`,
          seed: (options.seed * 31 + index * 7 + salt) >>> 0,
          transientRate: options.awsFaults.transient,
          twiceRate: options.awsFaults.twice,
          exhaustingRate: options.awsFaults.exhausting,
          ...(observe ? { observe } : {}),
        });
      const taken = new Map<string, CarriedMessage>();
      const slot: Slot = {
        index,
        host: undefined,
        starting: undefined,
        busy: false,
        current: undefined,
        taken,
        sqs: await proxy(options.sqsEndpoint, 'sqs', 1, (call) => environments.observeSqs(slot, call)),
        dynamo: await proxy(options.dynamoEndpoint, 'dynamodb', 2, (call) => environments.observeDynamo(slot, call)),
      };
      environments.slots.push(slot);
    }
    await Promise.all(environments.slots.map((slot) => environments.boot(slot)));
    return environments;
  }

  /**
   * The function may receive messages from the queue itself while it runs, and deletes those it
   * handled: both are seen here, on their way through the environment's SQS proxy.
   */
  private observeSqs(slot: Slot, call: ObservedCall): void {
    const record = slot.current;
    if (record === undefined) return;
    if (call.status !== 200) return void record.awsErrors.push(errorOf(call));
    if (call.lost) {
      // A message sent whose answer was lost may be sent again by the SDK's retry: two copies.
      const request = parseJson<{ MessageBody?: string; Entries?: { MessageBody?: string }[] }>(call.requestBody);
      const bodies = call.operation.endsWith('.SendMessage')
        ? [request?.MessageBody]
        : call.operation.endsWith('.SendMessageBatch')
          ? (request?.Entries ?? []).map((entry) => entry.MessageBody)
          : [];
      for (const body of bodies) if (body !== undefined) record.duplicatedPairs.push(...carriedBy(body, 0).pairs);
      return;
    }
    if (call.operation.endsWith('.ReceiveMessage')) {
      for (const message of parseJson<{ Messages?: SqsMessageJson[] }>(call.responseBody)?.Messages ?? []) {
        const carried = carriedBy(message.Body ?? '', Number(message.Attributes?.ApproximateReceiveCount ?? 1), true);
        record.messages.push(carried);
        record.pairs.push(...carried.pairs);
        if (message.ReceiptHandle !== undefined) slot.taken.set(message.ReceiptHandle, carried);
      }
    } else if (call.operation.endsWith('.DeleteMessage')) {
      const handle = parseJson<{ ReceiptHandle?: string }>(call.requestBody)?.ReceiptHandle;
      if (handle !== undefined) slot.taken.delete(handle);
    } else if (call.operation.endsWith('.DeleteMessageBatch')) {
      for (const entry of parseJson<{ Entries?: { ReceiptHandle?: string }[] }>(call.requestBody)?.Entries ?? []) {
        if (entry.ReceiptHandle !== undefined) slot.taken.delete(entry.ReceiptHandle);
      }
    }
  }

  /** The writes that recorded an outcome: the item's (or update's) ids, its key left out. */
  private observeDynamo(slot: Slot, call: ObservedCall): void {
    const record = slot.current;
    if (record === undefined || call.lost) return;
    if (call.status !== 200) return void record.awsErrors.push(errorOf(call));
    if (!call.operation.endsWith('.PutItem') && !call.operation.endsWith('.UpdateItem')) return;
    const request = parseJson<Record<string, unknown>>(call.requestBody);
    if (request === undefined) return;
    // A group log's key names its first subscription whether or not that one is in the write.
    delete request.Key;
    const text = JSON.stringify(request);
    const events = new Set(text.match(EVENT_ID) ?? []);
    const subscriptions = new Set(text.match(SUBSCRIPTION_ID) ?? []);
    for (const pair of record.pairs) {
      const [eventId, subscriptionId] = pair.split(' ');
      if (events.has(eventId!) && subscriptions.has(subscriptionId!)) record.recordedPairs.add(pair);
    }
  }

  /** Turns the injected AWS faults on or off in every environment. */
  set awsFaults(enabled: boolean) {
    for (const slot of this.slots) {
      slot.sqs.enabled = enabled;
      slot.dynamo.enabled = enabled;
    }
  }

  /** Injected AWS faults over all environments: calls broken at least once, and broken for good. */
  get awsFaultStats(): Record<'sqs' | 'dynamodb', { calls: number; faulted: number; exhausted: number; lost: number }> {
    const sum = (proxies: FaultProxy[]) => ({
      calls: proxies.reduce((n, p) => n + p.stats.calls, 0),
      faulted: proxies.reduce((n, p) => n + p.stats.faultedCalls, 0),
      exhausted: proxies.reduce((n, p) => n + p.stats.exhaustedCalls, 0),
      lost: proxies.reduce((n, p) => n + p.stats.byKind.lost, 0),
    });
    return { sqs: sum(this.slots.map((s) => s.sqs)), dynamodb: sum(this.slots.map((s) => s.dynamo)) };
  }

  /** Invocations running now. */
  get busy(): number {
    return this.slots.filter((slot) => slot.busy).length;
  }

  private boot(slot: Slot): Promise<void> {
    const { options } = this;
    const host = new FunctionHost({
      functionName: options.functionName,
      handlerSource: options.handlerSource,
      handlerExport: options.handlerExport,
      memoryMb: options.memoryMb,
      timeoutMs: options.timeoutMs,
      environment: {
        ...options.environment,
        AWS_ENDPOINT_URL_SQS: slot.sqs.url,
        AWS_ENDPOINT_URL_DYNAMODB: slot.dynamo.url,
      },
    });
    // The handlers log at the level the run sets; their lines are not the harness's output.
    for (const stream of [host.stdout, host.stderr]) {
      if (options.log === undefined) stream.resume();
      else stream.on('data', (chunk: Buffer) => options.log!(`[env ${slot.index}] ${chunk.toString('utf8').trimEnd()}`));
    }
    slot.host = undefined;
    slot.starting = host.ready.then(
      () => {
        slot.starting = undefined;
        if (this.stopped) return void host.stop();
        slot.host = host;
      },
      async (error: unknown) => {
        options.log?.(`environment ${slot.index} failed to start: ${(error as Error).message}`);
        await host.stop().catch(() => undefined);
        await sleep(500);
        if (!this.stopped) await this.boot(slot);
      },
    );
    return slot.starting;
  }

  /** Ends the slot's worker at once (as a crashed execution environment) and boots a fresh one. */
  private replace(slot: Slot): void {
    const host = slot.host;
    slot.host = undefined;
    this.restarts += 1;
    void host?.stop().catch(() => undefined);
    if (!this.stopped) void this.boot(slot);
  }

  private async acquire(): Promise<Slot | undefined> {
    const deadline = Date.now() + this.options.maxWaitMs;
    for (;;) {
      const slot = this.slots.find((candidate) => !candidate.busy && candidate.host !== undefined);
      if (slot !== undefined) {
        slot.busy = true;
        return slot;
      }
      if (Date.now() > deadline || this.stopped) return undefined;
      await sleep(10);
    }
  }

  /** The handler the delivery queue's event source invokes. */
  readonly handler = async (event: SQSEvent, _context: Context): Promise<SQSBatchResponse> => {
    const startedAt = Date.now();
    const messages = event.Records.map((r) => carriedBy(r.body, Number(r.attributes.ApproximateReceiveCount)));
    const byId = new Map(event.Records.map((r, index) => [r.messageId, messages[index]!]));
    const allPairs = messages.flatMap((message) => message.pairs);
    const record: InvocationRecord = {
      environment: -1,
      startedAt,
      endedAt: startedAt,
      messages,
      pairs: [...allPairs],
      leftOnQueue: [...messages],
      outcome: 'not_started',
      exhaustedCalls: 0,
      lostSends: 0,
      lostAnswers: 0,
      duplicatedPairs: [],
      recordedPairs: new Set(),
      awsErrors: [],
    };
    this.ledger.push(record);
    const slot = await this.acquire();
    if (slot === undefined) {
      record.endedAt = Date.now();
      throw new Error('no execution environment came free in time');
    }
    (record as { environment: number }).environment = slot.index;
    slot.current = record;
    slot.taken.clear();
    const lostSends = () =>
      Object.entries(slot.sqs.stats.lostByOperation)
        .filter(([operation]) => operation.endsWith('.SendMessage') || operation.endsWith('.SendMessageBatch'))
        .reduce((n, [, count]) => n + count, 0);
    const lostAll = () => slot.sqs.stats.byKind.lost + slot.dynamo.stats.byKind.lost;
    const before = { exhausted: slot.sqs.stats.exhaustedCalls + slot.dynamo.stats.exhaustedCalls, lostSends: lostSends(), lost: lostAll() };

    const host = slot.host!;
    const eligible = event.Records.length >= this.options.crashMinMessages;
    if (eligible) this.eligible += 1;
    const crashes = this.ledger.filter((invocation) => invocation.outcome === 'crashed').length;
    const owed = crashes < this.options.minCrashes && this.eligible > FIRST_SPARED;
    const crash = (this.random() < this.options.crashShare || owed) && eligible;
    const [crashMin, crashMax] = this.options.crashAfterMs;
    const crashAfter = crashMin + this.random() * (crashMax - crashMin);
    let killTimer: NodeJS.Timeout | undefined;
    const killed = new Promise<'killed'>((resolve) => {
      if (crash) killTimer = setTimeout(() => resolve('killed'), crashAfter);
    });
    const invocation = host.invoke<SQSBatchResponse>(event);
    // A killed worker never answers: the pending invocation ends at its timeout, unobserved.
    invocation.catch(() => undefined);
    try {
      const result = await Promise.race([invocation, killed]);
      if (result === 'killed') {
        record.outcome = 'crashed';
        this.replace(slot);
        throw new Error('the execution environment died in the middle of the batch');
      }
      record.outcome = 'completed';
      record.leftOnQueue = [
        ...(result?.batchItemFailures ?? []).flatMap((failure) => byId.get(failure.itemIdentifier) ?? []),
        ...slot.taken.values(),
      ];
      return result;
    } catch (error) {
      if (record.outcome === 'not_started') {
        record.outcome = error instanceof InvocationTimeoutError ? 'timed_out' : 'failed';
        if (record.outcome === 'timed_out') this.replace(slot);
      }
      throw error;
    } finally {
      clearTimeout(killTimer);
      record.exhaustedCalls = slot.sqs.stats.exhaustedCalls + slot.dynamo.stats.exhaustedCalls - before.exhausted;
      record.lostSends = lostSends() - before.lostSends;
      record.lostAnswers = lostAll() - before.lost - record.lostSends;
      record.endedAt = Date.now();
      if (record.outcome !== 'completed') record.leftOnQueue = [...record.messages];
      slot.current = undefined;
      slot.taken.clear();
      slot.busy = false;
    }
  };

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.slots.map((slot) => slot.starting?.catch(() => undefined)));
    await Promise.all(
      this.slots.map(async (slot) => {
        await slot.host?.stop().catch(() => undefined);
        slot.host = undefined;
        await Promise.all([slot.sqs.close(), slot.dynamo.close()]);
      }),
    );
  }
}
