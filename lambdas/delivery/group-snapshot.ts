import type { DeliveryGroupMessage } from '../core/messages';
import { openSnapshot, type SubscriptionSnapshot } from '../core/subscription-snapshot';
import type { SnapshotKeySource } from '../pipeline/snapshot-keys';

/**
 * The subscriptions a group message carries sealed, once opened and checked to be exactly the
 * group's (its owner's, at the versions it names); undefined when it carries none, the deployment
 * has no key, or the seal does not open: delivery then reads them.
 */
export const openGroupSnapshot = async (group: DeliveryGroupMessage, keys: SnapshotKeySource): Promise<SubscriptionSnapshot | undefined> => {
  if (group.sealed === undefined) return undefined;
  const key = await keys.current();
  if (key === undefined) return undefined;
  const snapshot = openSnapshot(key, group, group.sealed);
  if (snapshot === undefined || snapshot.subscriptions.length !== group.subscriptions.length) return undefined;
  const isMember = snapshot.subscriptions.every(
    (subscription, index) =>
      subscription.id === group.subscriptions[index]!.id &&
      subscription.version === group.subscriptions[index]!.version &&
      subscription.tenantId === group.tenantId &&
      subscription.consumerId === group.consumerId,
  );
  return isMember ? snapshot : undefined;
};
