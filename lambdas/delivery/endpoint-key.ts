/** The key of one endpoint (one subscription of one tenant) in an instance's per-endpoint maps. */
export const endpointKey = (tenantId: string, subscriptionId: string): string => `${tenantId}\u0000${subscriptionId}`;
