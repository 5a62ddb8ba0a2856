import type { SlotPool } from '../core/ports';

/** The key of one endpoint (one subscription of one tenant) in an instance's per-endpoint maps. */
export const endpointKey = (tenantId: string, subscriptionId: string): string => `${tenantId}\u0000${subscriptionId}`;

/** The key of a slot pool in an instance's maps: an endpoint's key, or the share of all endpoints. */
export const slotPoolKey = (pool: SlotPool): string => (pool === 'all endpoints' ? pool : endpointKey(pool.tenantId, pool.subscriptionId));
