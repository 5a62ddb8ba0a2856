import { HttpError } from '../core/errors';
import { isId } from '../core/ids';
import type { Subscription } from '../core/model';
import type { SubscriptionStore } from '../core/ports';

/** The 404 of every route that names a subscription the tenant does not have. */
export const subscriptionNotFound = (): HttpError => new HttpError(404, 'not_found', 'no such subscription');

/**
 * Only ids this API hands out (`sub_<ULID>`) can name a subscription; anything else is a 404
 * without a read (a long one would otherwise exceed DynamoDB's key size and fail the request).
 */
export const requireSubscriptionId = (id: string): string => {
  if (!isId('sub', id)) throw subscriptionNotFound();
  return id;
};

/** The tenant's subscription with this id, its own or one of its consumers', or a 404. */
export const locateSubscription = async (subscriptions: Pick<SubscriptionStore, 'locate'>, tenantId: string, id: string): Promise<Subscription> => {
  const subscription = await subscriptions.locate(tenantId, requireSubscriptionId(id));
  if (subscription === undefined) throw subscriptionNotFound();
  return subscription;
};
