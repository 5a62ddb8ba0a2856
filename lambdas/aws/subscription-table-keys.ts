import { ownerName, type SubscriptionOwner } from '../core/model';
import { TABLE_KEYS } from '../core/resource-env';
import { toItem, type Item } from './dynamo-support';

const { partitionKey: PK, sortKey: SK } = TABLE_KEYS;

/**
 * Where things live in the subscriptions table (docs/architecture.md). Tenant ids and consumer ids
 * hold no `#`, so no partition below is another's:
 *
 * - `<tenant>`: the tenant's own subscriptions;
 * - `<tenant>#consumer#<consumer>`: one consumer's subscriptions;
 * - `<tenant>#consumers`: the tenant's consumers;
 * - `<tenant>#subscription-owner`: for each consumer subscription, which consumer it belongs to;
 * - `<owner partition>#quota`: an owner's subscription count.
 */
export const ownerPartition: (owner: SubscriptionOwner) => string = ownerName;

export const subscriptionKey = (owner: SubscriptionOwner, id: string): Item => toItem({ [PK]: ownerPartition(owner), [SK]: id });

export const locatorKey = (tenantId: string, subscriptionId: string): Item =>
  toItem({ [PK]: `${tenantId}#subscription-owner`, [SK]: subscriptionId });

export const consumersPartition = (tenantId: string): string => `${tenantId}#consumers`;

export const consumerKey = (tenantId: string, consumerId: string): Item => toItem({ [PK]: consumersPartition(tenantId), [SK]: consumerId });

export const subscriptionCountKey = (owner: SubscriptionOwner): Item => toItem({ [PK]: `${ownerPartition(owner)}#quota`, [SK]: 'subscriptions' });
