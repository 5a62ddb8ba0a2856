import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isGroupMessage, toMessageBody, type DeliveryGroupMessage, type DeliveryQueueMessage } from '../../../lambdas/core/messages';
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

  it('leaves alone single deliveries, a group with a subscription it was not given, and a group the seal would bill one more 64 KiB chunk as sent', () => {
    // Prepare: two groups some 50 bytes short of 64 KiB as sent, one of them only once its emoji are escaped for SQS
    const bodyBytes = (message: DeliveryQueueMessage) => Buffer.byteLength(toMessageBody(message));
    const overhead = bodyBytes(aDeliveryGroupMessage(2, { dataJson: '""' }));
    const nearChunk = aDeliveryGroupMessage(2, { dataJson: JSON.stringify('x'.repeat(SQS_BILLING_CHUNK_BYTES - overhead - 50)) });
    // Each emoji is 4 bytes of UTF-8 but 12 as sent (two \u escapes).
    const escapedNearChunk = aDeliveryGroupMessage(2, { dataJson: JSON.stringify('\u{1F600}'.repeat((SQS_BILLING_CHUNK_BYTES - overhead - 50) / 12)) });
    const single = aDeliveryMessage();
    const missing = aDeliveryGroupMessage(3);
    const small = aDeliveryGroupMessage(2);

    // Act
    const [a, b, c, d, e] = withSealedSubscriptions([single, missing, nearChunk, escapedNearChunk, small], subscriptionsOf(2), KEY, 1);

    // Assess
    expect([a, b, c, d]).toEqual([single, missing, nearChunk, escapedNearChunk]);
    expect(isGroupMessage(e!) && e.sealed !== undefined).toBe(true);
    for (const group of [nearChunk, escapedNearChunk]) {
      expect(bodyBytes(group)).toBeGreaterThan(SQS_BILLING_CHUNK_BYTES - 64);
      expect(bodyBytes(group)).toBeLessThan(SQS_BILLING_CHUNK_BYTES);
    }
    expect(Buffer.byteLength(JSON.stringify(escapedNearChunk))).toBeLessThan(SQS_BILLING_CHUNK_BYTES / 2);
  });
});
