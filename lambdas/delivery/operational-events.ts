import { HttpError } from '../core/errors';
import { acceptEvent, type AcceptEventDeps } from '../pipeline/accept-event';

/**
 * Operational events (`webhook.subscription.disabled`, `webhook.delivery.exhausted`) are published
 * into the tenant's own stream, so a tenant subscribes to them like to any other type.
 */
export interface OperationalEvents {
  /** Publishes once per `dedupKey` (within the idempotency window); never throws. */
  emit(tenantId: string, type: string, data: Record<string, unknown>, dedupKey: string): Promise<void>;
}

export const operationalEventsVia = (deps: AcceptEventDeps, onError: (error: unknown) => void): OperationalEvents => ({
  emit: async (tenantId, type, data, dedupKey) => {
    try {
      await acceptEvent({ tenantId, request: { type, dataJson: JSON.stringify(data) }, headerIdempotencyKey: `op:${dedupKey}` }, deps);
    } catch (error) {
      // A concurrent duplicate is already publishing it; anything else must not fail the delivery.
      if (!(error instanceof HttpError && error.statusCode === 409)) onError(error);
    }
  },
});
