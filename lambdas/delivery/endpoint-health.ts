import type { Subscription } from '../core/model';
import type { SubscriptionStore } from '../core/ports';
import { OneAtATime } from './one-at-a-time';
import { endpointKey } from './endpoint-key';

export type DisabledReason = 'endpoint_gone' | 'failing_too_long';

export type HealthAction =
  | { kind: 'none' }
  | { kind: 'mark_failing' }
  | { kind: 'clear_failing' }
  | { kind: 'disable'; reason: DisabledReason };

/**
 * A success ends a failing period only once the period has lasted this long. An endpoint that
 * fails now and then would otherwise cost two subscription writes per failure (start, end); this
 * way it costs at most two per period, and a period that does end is at most this much longer
 * than the failures in it, against the days `disableAfterMs` allows.
 */
export const MIN_FAILING_PERIOD_MS = 10 * 60_000;

/**
 * What one attempt means for the endpoint's health: 410 disables at once; the first failure
 * starts a failing period and a success (after MIN_FAILING_PERIOD_MS) ends it; failing without a
 * break for `disableAfterMs` disables. Only these transitions write, so a healthy endpoint costs
 * nothing here.
 */
export const healthAction = (
  subscription: Pick<Subscription, 'failingSince'>,
  result: 'delivered' | 'failed' | 'gone',
  nowMs: number,
  disableAfterMs: number,
): HealthAction => {
  if (result === 'gone') return { kind: 'disable', reason: 'endpoint_gone' };
  if (result === 'delivered') {
    if (subscription.failingSince === undefined) return { kind: 'none' };
    return nowMs - Date.parse(subscription.failingSince) >= MIN_FAILING_PERIOD_MS ? { kind: 'clear_failing' } : { kind: 'none' };
  }
  if (subscription.failingSince === undefined) return { kind: 'mark_failing' };
  return nowMs - Date.parse(subscription.failingSince) >= disableAfterMs
    ? { kind: 'disable', reason: 'failing_too_long' }
    : { kind: 'none' };
};

export interface EndpointHealth {
  /** Applies the attempt's consequence; returns the reason when it disabled the subscription now. */
  afterAttempt(subscription: Subscription, result: 'delivered' | 'failed' | 'gone', nowMs: number): Promise<DisabledReason | undefined>;
}

export class EndpointHealthTracker implements EndpointHealth {
  /** An endpoint's attempts are applied one after another, each to the state the one before left. */
  private readonly applying = new OneAtATime();

  constructor(
    private readonly store: Pick<SubscriptionStore, 'update' | 'setFailingSince'>,
    private readonly disableAfterMs: number,
    /** Told about every change written, so a cache of subscriptions stays current. */
    private readonly onChange: (subscription: Subscription) => void = () => undefined,
    /** Told when a change could not be written (a DynamoDB error): the next attempt tries again. */
    private readonly onError: (error: unknown) => void = () => undefined,
    /** The newest copy of a subscription this instance holds (its cache's), without reading. */
    private readonly newest: (subscription: Subscription) => Subscription = (subscription) => subscription,
  ) {}

  async afterAttempt(subscription: Subscription, result: 'delivered' | 'failed' | 'gone', nowMs: number) {
    // The request was made: a health write that fails must not keep the attempt out of the
    // delivery log. Every later attempt comes to the same transition, so it is written then.
    // One after another per endpoint, against the newest state: the first of ten failures at once
    // starts the failing period, and the other nine find it started.
    try {
      const key = endpointKey(subscription.tenantId, subscription.id);
      // The common case, an attempt that changes nothing, need not wait its turn.
      if (!this.applying.busy(key) && healthAction(this.newest(subscription), result, nowMs, this.disableAfterMs).kind === 'none') return undefined;
      return await this.applying.run(key, () => this.apply(this.newest(subscription), result, nowMs));
    } catch (error) {
      this.onError(error);
      return undefined;
    }
  }

  private async apply(subscription: Subscription, result: 'delivered' | 'failed' | 'gone', nowMs: number): Promise<DisabledReason | undefined> {
    const action = healthAction(subscription, result, nowMs, this.disableAfterMs);
    if (action.kind === 'none') return undefined;
    const at = new Date(nowMs).toISOString();
    let changed: Subscription | undefined;
    switch (action.kind) {
      case 'mark_failing':
        changed = await this.store.setFailingSince(subscription, subscription.id, at);
        break;
      case 'clear_failing':
        changed = await this.store.setFailingSince(subscription, subscription.id, null);
        break;
      case 'disable':
        changed = await this.store.update(subscription, subscription.id, {
          enabled: false,
          disabledReason: action.reason,
          disabledAt: at,
          failingSince: null,
          updatedAt: at,
        });
        break;
    }
    if (changed !== undefined) this.onChange(changed);
    return action.kind === 'disable' && changed !== undefined ? action.reason : undefined;
  }
}
