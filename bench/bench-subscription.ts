import { newId } from '../lambdas/core/ids';
import type { Subscription } from '../lambdas/core/model';
import { generateSecret } from '../lambdas/core/signing';

/** A new enabled subscription as the API would store it, for benchmarks that write them directly. */
export const benchSubscription = (tenantId: string, url: string, eventType: string, consumerId?: string): Subscription => {
  const now = new Date().toISOString();
  return {
    tenantId,
    ...(consumerId === undefined ? {} : { consumerId }),
    id: newId('sub'),
    url,
    eventTypes: [eventType],
    headers: {},
    enabled: true,
    secrets: { current: generateSecret() },
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
};
