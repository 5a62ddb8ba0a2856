import type { Subscription, SubscriptionOwner } from '../core/model';
import type { MadeAttempt } from '../core/outcome';
import { OneAtATime } from './one-at-a-time';
import { EndpointAnswers } from './endpoint-answers';
import { endpointKey } from './endpoint-key';

export interface BreakerSettings {
  /** Consecutive attempts without an answer that open the circuit; 0 turns the breaker off. */
  failureThreshold: number;
  /** The first probe's delay after the circuit opens; each failed probe doubles it. */
  firstProbeAfterMs: number;
  maxProbeIntervalMs: number;
}

export const BREAKER_TIMINGS = { firstProbeAfterMs: 5_000, maxProbeIntervalMs: 10 * 60_000 } as const;

/**
 * Deliveries waiting on an open circuit come back after its next probe, or after a third of the
 * time it has been open if that is later (at most 6 h), spread over one probe interval: an
 * endpoint down for days costs each waiting delivery a few dozen receives, well under the delivery
 * queue's maxReceiveCount of 100.
 */
const MAX_WAIT_MS = 6 * 3600_000;

export type CircuitFields = Pick<
  Subscription,
  'circuitFailures' | 'circuitCountingSince' | 'circuitLastError' | 'circuitLastFailureAt' | 'circuitOpenedAt' | 'circuitNextProbeAt' | 'circuitProbeSeconds'
>;

export type Gate =
  | { kind: 'send' }
  | { kind: 'probe'; seenNextProbeAt: string; nextProbeAt: string; probeSeconds: number }
  | { kind: 'wait'; waitMs: number };

/**
 * Whether a delivery may call the endpoint now: always while the circuit is closed; while it is
 * open, only once the next probe is due, and then only the delivery that claims the probe.
 */
export const gate = (circuit: CircuitFields, nowMs: number, settings: BreakerSettings, random: number): Gate => {
  if (circuit.circuitOpenedAt === undefined || circuit.circuitNextProbeAt === undefined) return { kind: 'send' };
  const dueAt = Date.parse(circuit.circuitNextProbeAt);
  const previousMs = (circuit.circuitProbeSeconds ?? settings.firstProbeAfterMs / 1000) * 1000;
  if (nowMs < dueAt) {
    const openForMs = nowMs - Date.parse(circuit.circuitOpenedAt);
    // Spread over one probe interval after it, so the waiting deliveries do not all come back at once.
    return { kind: 'wait', waitMs: Math.max(dueAt - nowMs, Math.min(openForMs / 3, MAX_WAIT_MS)) + random * previousMs };
  }
  const intervalMs = Math.min(settings.maxProbeIntervalMs, 2 * previousMs);
  return {
    kind: 'probe',
    seenNextProbeAt: circuit.circuitNextProbeAt,
    nextProbeAt: new Date(nowMs + intervalMs).toISOString(),
    probeSeconds: intervalMs / 1000,
  };
};

/** Whether anything is counted or open on the subscription's circuit: what an answer clears. */
const hasCircuitState = (circuit: CircuitFields): boolean => circuit.circuitFailures !== undefined || circuit.circuitOpenedAt !== undefined;

/** Attempts that say the endpoint is not answering at all: what the breaker counts. */
export const isUnanswered = (result: MadeAttempt): boolean =>
  result.kind === 'error' && (result.error === 'timeout' || result.error === 'connection' || result.error === 'dns' || result.error === 'tls');

/** Where the breaker keeps its state: on the subscription item, without bumping its version. */
export interface CircuitStore {
  /**
   * Counts one attempt without an answer. The count starts again at 1 when `answerSeenAt` (the
   * last answer this caller saw from the endpoint) is after the count began. Undefined when the
   * subscription is gone.
   */
  countUnanswered(owner: SubscriptionOwner, id: string, failure: { at: string; error: string }, answerSeenAt: string | undefined): Promise<Subscription | undefined>;
  /** Opens the circuit unless it is open already (then undefined). */
  openCircuit(owner: SubscriptionOwner, id: string, open: { at: string; nextProbeAt: string; probeSeconds: number }): Promise<Subscription | undefined>;
  /** Moves the next probe on, only if it is still `seenNextProbeAt`: one caller wins each probe. */
  claimProbe(owner: SubscriptionOwner, id: string, claim: { seenNextProbeAt: string; nextProbeAt: string; probeSeconds: number }): Promise<Subscription | undefined>;
  /** Closes the circuit and clears the count (undefined when the subscription is gone). */
  closeCircuit(owner: SubscriptionOwner, id: string): Promise<Subscription | undefined>;
}

export type CircuitChange = 'opened' | 'closed';

/**
 * The per-endpoint circuit breaker, shared by every function instance through the subscription
 * item: after `failureThreshold` attempts in a row get no answer (a timeout, a refused or reset
 * connection, a DNS or TLS failure) the endpoint is no longer called; its deliveries wait without
 * spending attempts; one probe at a time calls it again, at intervals that double (5 s to 10 min by
 * default); the first answer closes it. Healthy endpoints cost nothing here: only failures, the
 * answer that ends a run of them, and probes write.
 */
export class CircuitBreaker {
  /** An endpoint's attempts are counted one after another, each from the state the one before left. */
  private readonly counting = new OneAtATime();
  /**
   * The last answer this instance got from each endpoint, recorded with every attempt counted, to
   * tell consecutive failures apart; the line per endpoint reads it too.
   */
  readonly answers = new EndpointAnswers();

  constructor(
    private readonly store: CircuitStore,
    private readonly settings: BreakerSettings,
    /** Told about every change written, so a cache of subscriptions stays current. */
    private readonly onChange: (subscription: Subscription) => void = () => undefined,
    /** Told when counting an attempt failed (a DynamoDB error): the attempt stands, uncounted. */
    private readonly onError: (error: unknown) => void = () => undefined,
    /** The newest copy of a subscription this instance holds (its cache's), without reading. */
    private readonly newest: (subscription: Subscription) => Subscription = (subscription) => subscription,
  ) {}

  /** How long a delivery must wait before the endpoint may be called, without writing anything; undefined when it may be now. */
  waitFor(subscription: Subscription, nowMs: number, random: number): number | undefined {
    if (this.settings.failureThreshold === 0) return undefined;
    const decision = gate(subscription, nowMs, this.settings, random);
    return decision.kind === 'wait' ? decision.waitMs : undefined;
  }

  /** Send, probe (this delivery won the probe) or wait (how long). */
  async admit(subscription: Subscription, nowMs: number, random: number): Promise<{ kind: 'send' | 'probe' } | { kind: 'wait'; waitMs: number }> {
    if (this.settings.failureThreshold === 0) return { kind: 'send' };
    const decision = gate(subscription, nowMs, this.settings, random);
    if (decision.kind !== 'probe') return decision;
    const { seenNextProbeAt, nextProbeAt, probeSeconds } = decision;
    const claimed = await this.store.claimProbe(subscription, subscription.id, { seenNextProbeAt, nextProbeAt, probeSeconds });
    if (claimed === undefined) return { kind: 'wait', waitMs: Math.max(1000, Date.parse(nextProbeAt) - nowMs) };
    this.onChange(claimed);
    return { kind: 'probe' };
  }

  /**
   * Counts the attempt's outcome; says when it opened or closed the circuit. A failure seen while
   * the circuit is already open (an attempt started before it opened) writes nothing, unless it was
   * the probe, whose failure is the circuit's last error. An endpoint's attempts are counted one
   * after another, each against the newest state this instance holds: ten attempts cut at the same
   * moment write the count up to the threshold and open the circuit, and the rest write nothing.
   */
  async afterAttempt(subscription: Subscription, result: MadeAttempt, nowMs: number, probe = false): Promise<CircuitChange | undefined> {
    if (this.settings.failureThreshold === 0) return undefined;
    // The request was made: a failure to count it must not keep the attempt out of the delivery
    // log, where it would be an attempt the receiver saw and nobody recorded.
    try {
      const key = endpointKey(subscription.tenantId, subscription.id);
      // The common case, an answer from an endpoint with nothing counted, writes nothing: it need not wait its turn.
      if (!this.counting.busy(key) && !isUnanswered(result) && !hasCircuitState(this.newest(subscription))) {
        this.answers.heard(key, nowMs);
        return undefined;
      }
      return await this.counting.run(key, () => this.count(key, this.newest(subscription), result, nowMs, probe));
    } catch (error) {
      this.onError(error);
      return undefined;
    }
  }

  private async count(key: string, subscription: Subscription, result: MadeAttempt, nowMs: number, probe: boolean): Promise<CircuitChange | undefined> {
    const at = new Date(nowMs).toISOString();
    if (!isUnanswered(result)) {
      this.answers.heard(key, nowMs);
      if (!hasCircuitState(subscription)) return undefined;
      const closed = await this.store.closeCircuit(subscription, subscription.id);
      if (closed !== undefined) this.onChange(closed);
      return subscription.circuitOpenedAt === undefined ? undefined : 'closed';
    }
    if (!probe && subscription.circuitOpenedAt !== undefined) return undefined;
    const answered = this.answers.lastAnswerAt(key);
    const error = result.kind === 'error' ? `${result.error}: ${result.message}`.slice(0, 300) : '';
    const counted = await this.store.countUnanswered(
      subscription,
      subscription.id,
      { at, error },
      answered === undefined ? undefined : new Date(answered).toISOString(),
    );
    if (counted === undefined) return undefined;
    this.onChange(counted);
    if (counted.circuitOpenedAt !== undefined || (counted.circuitFailures ?? 0) < this.settings.failureThreshold) return undefined;
    const opened = await this.store.openCircuit(subscription, subscription.id, {
      at,
      nextProbeAt: new Date(nowMs + this.settings.firstProbeAfterMs).toISOString(),
      probeSeconds: this.settings.firstProbeAfterMs / 1000,
    });
    if (opened === undefined) return undefined;
    this.onChange(opened);
    return 'opened';
  }
}
