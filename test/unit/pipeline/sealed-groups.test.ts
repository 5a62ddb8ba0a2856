import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isGroupMessage, type DeliveryGroupMessage } from '../../../lambdas/core/messages';
import { openSnapshot, snapshotKeyFrom } from '../../../lambdas/core/subscription-snapshot';
import { SQS_BILLING_CHUNK_BYTES, withSealedSubscriptions } from '../../../lambdas/pipeline/sealed-groups';
import { aDeliveryGroupMessage, aDeliveryMessage, aSubscription, subscriptionIdOf, TENANT } from '../../kit/builders';

const KEY = snapshotKeyFrom(randomBytes(32).toString('base64url'));
const subscriptionsOf = (count: number, overrides = {}) =>
  Array.from({ length: count }, (_, i) => aSubscription({ tenantId: TENANT, id: subscriptionIdOf(i + 1), version: 1, ...overrides }));

describe('Function: withSealedSubscriptions', () => {
  it("seals each group's own subscriptions, in the group's order, with the time they were read", () => {
    // Prepare
    const group = aDeliveryGroupMessage(3);
    const subscriptions = subscriptionsOf(3).reverse();

    // Act
    const [sealed] = withSealedSubscriptions([group], subscriptions, KEY, 4321) as DeliveryGroupMessage[];

    // Assess
    const opened = openSnapshot(KEY, sealed!, sealed!.sealed!);
    expect(opened?.fetchedAt).toBe(4321);
    expect(opened?.subscriptions.map((s) => s.id)).toEqual([1, 2, 3].map(subscriptionIdOf));
    expect({ ...sealed, sealed: undefined }).toEqual({ ...group, sealed: undefined });
  });

  it('leaves alone single deliveries, a group with a subscription it was not given, and a group the seal would bill one more 64 KiB chunk', () => {
    // Prepare
    const single = aDeliveryMessage();
    const missing = aDeliveryGroupMessage(3);
    const nearChunk = aDeliveryGroupMessage(2, { dataJson: JSON.stringify('x'.repeat(SQS_BILLING_CHUNK_BYTES - 900)) });
    const small = aDeliveryGroupMessage(2);

    // Act
    const [a, b, c, d] = withSealedSubscriptions([single, missing, nearChunk, small], subscriptionsOf(2), KEY, 1);

    // Assess
    expect([a, b, c]).toEqual([single, missing, nearChunk]);
    expect(isGroupMessage(d!) && d.sealed !== undefined).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(nearChunk))).toBeLessThan(SQS_BILLING_CHUNK_BYTES);
  });
});
