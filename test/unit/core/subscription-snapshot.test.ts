import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSnapshot, sealSnapshot, snapshotKeyFrom } from '../../../lambdas/core/subscription-snapshot';
import { aSubscription } from '../../kit/builders';

const SECRET = randomBytes(32).toString('base64url');
const CONTEXT = { tenantId: 'tenant-1', eventId: 'evt_1', run: 'evt_1', subscriptions: [{ id: 'sub_1', version: 1 }] };
const SUBSCRIPTION = aSubscription({
  tenantId: 'tenant-1',
  id: 'sub_1',
  secrets: { current: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
  filter: { data: { kind: ['a'] } },
  description: 'left out',
});

describe('Module: lambdas/core/subscription-snapshot.ts', () => {
  it('opens what it sealed, for the same context and a key from the same secret, without the fields delivery does not use', () => {
    // Prepare
    const sealed = sealSnapshot(snapshotKeyFrom(SECRET), CONTEXT, { fetchedAt: 1234, subscriptions: [SUBSCRIPTION] });

    // Act
    const opened = openSnapshot(snapshotKeyFrom(SECRET), { ...CONTEXT }, sealed);

    // Assess
    const { filter: _filter, description: _description, ...expected } = SUBSCRIPTION;
    expect(opened).toEqual({ fetchedAt: 1234, subscriptions: [expected] });
  });

  it('hides the signing secrets: the sealed text holds no secret, in any encoding', () => {
    // Act
    const sealed = sealSnapshot(snapshotKeyFrom(SECRET), CONTEXT, { fetchedAt: 1, subscriptions: [SUBSCRIPTION] });
    const bytes = Buffer.from(sealed, 'base64');

    // Assess
    expect(sealed).not.toContain('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(bytes.includes(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'))).toBe(false);
    expect(bytes.includes(Buffer.from(SUBSCRIPTION.url))).toBe(false);
  });

  it('opens nothing for another key, another message (owner, event, run or group), a changed byte or text that is not a seal', () => {
    // Prepare
    const key = snapshotKeyFrom(SECRET);
    const sealed = sealSnapshot(key, CONTEXT, { fetchedAt: 1, subscriptions: [SUBSCRIPTION] });
    const changed = Buffer.from(sealed, 'base64');
    changed.writeUInt8(changed.readUInt8(changed.length - 1) ^ 1, changed.length - 1);

    // Act
    const attempts = [
      openSnapshot(snapshotKeyFrom(randomBytes(32).toString('base64url')), CONTEXT, sealed),
      openSnapshot(key, { ...CONTEXT, eventId: 'evt_2' }, sealed),
      openSnapshot(key, { ...CONTEXT, tenantId: 'tenant-2' }, sealed),
      openSnapshot(key, { ...CONTEXT, run: 'rpl_1' }, sealed),
      openSnapshot(key, { ...CONTEXT, consumerId: 'acme' }, sealed),
      openSnapshot(key, { ...CONTEXT, subscriptions: [{ id: 'sub_2', version: 1 }] }, sealed),
      openSnapshot(key, { ...CONTEXT, subscriptions: [{ id: 'sub_1', version: 2 }] }, sealed),
      openSnapshot(key, CONTEXT, changed.toString('base64')),
      openSnapshot(key, CONTEXT, 'bm90IGEgc2VhbA=='),
      openSnapshot(key, CONTEXT, ''),
    ];

    // Assess
    expect(attempts).toEqual(Array(10).fill(undefined));
  });

  it('seals the same snapshot differently each time (a fresh salt, so a fresh key, and IV per seal)', () => {
    // Prepare
    const key = snapshotKeyFrom(SECRET);
    const snapshot = { fetchedAt: 1, subscriptions: [SUBSCRIPTION] };

    // Act
    const [first, second] = [sealSnapshot(key, CONTEXT, snapshot), sealSnapshot(key, CONTEXT, snapshot)];

    // Assess
    expect(first).not.toBe(second);
    expect(openSnapshot(key, CONTEXT, second)).toEqual(openSnapshot(key, CONTEXT, first));
  });
});
