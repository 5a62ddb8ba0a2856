import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sealSnapshot, snapshotKeyFrom, type SnapshotKey } from '../../../lambdas/core/subscription-snapshot';
import type { Subscription } from '../../../lambdas/core/model';
import { openGroupSnapshot } from '../../../lambdas/delivery/group-snapshot';
import { aDeliveryGroupMessage, aSubscription, subscriptionIdOf, TENANT } from '../../kit/builders';

const KEY = snapshotKeyFrom(randomBytes(32).toString('base64url'));
const keys = (key: SnapshotKey | undefined) => ({ current: async () => key });
const members = (count: number, overrides: Partial<Subscription> = {}) =>
  Array.from({ length: count }, (_, i) => aSubscription({ tenantId: TENANT, id: subscriptionIdOf(i + 1), version: 1, ...overrides }));
const sealedGroup = (subscriptions: Subscription[], groupSize = subscriptions.length, consumerId?: string) => {
  const group = aDeliveryGroupMessage(groupSize, consumerId === undefined ? {} : { consumerId });
  return { ...group, sealed: sealSnapshot(KEY, group, { fetchedAt: 99, subscriptions }) };
};

describe('Function: openGroupSnapshot', () => {
  it("opens a group's own subscriptions", async () => {
    // Act
    const snapshot = await openGroupSnapshot(sealedGroup(members(3)), keys(KEY));

    // Assess
    expect(snapshot?.fetchedAt).toBe(99);
    expect(snapshot?.subscriptions.map((s) => s.id)).toEqual([1, 2, 3].map(subscriptionIdOf));
  });

  it("opens nothing that is not exactly the group's: another version, owner or set, no seal, or no key", async () => {
    // Act
    const opened = await Promise.all([
      openGroupSnapshot(sealedGroup(members(3, { version: 2 })), keys(KEY)),
      openGroupSnapshot(sealedGroup(members(3, { tenantId: 'another-tenant' })), keys(KEY)),
      openGroupSnapshot(sealedGroup(members(3, { consumerId: 'acme' })), keys(KEY)),
      openGroupSnapshot(sealedGroup(members(3), 3, 'acme'), keys(KEY)),
      openGroupSnapshot(sealedGroup(members(2), 3), keys(KEY)),
      openGroupSnapshot(sealedGroup([...members(3)].reverse()), keys(KEY)),
      openGroupSnapshot(aDeliveryGroupMessage(3), keys(KEY)),
      openGroupSnapshot(sealedGroup(members(3)), keys(undefined)),
      openGroupSnapshot(sealedGroup(members(3)), keys(snapshotKeyFrom(randomBytes(32).toString('base64url')))),
    ]);

    // Assess
    expect(opened).toEqual(Array(9).fill(undefined));
  });
});
