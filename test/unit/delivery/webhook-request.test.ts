import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSecret, signature } from '../../../lambdas/core/signing';
import { webhookBody } from '../../../lambdas/core/delivery-body';
import { signingSecrets, USER_AGENT, webhookHeaders } from '../../../lambdas/delivery/webhook-request';
import { aSubscription } from '../../kit/builders';

const EVENT_ID = 'evt_01J00000000000000000000000';

const verifies = (secret: string, body: string, headers: Record<string, string>): boolean => {
  try {
    new Webhook(secret).verify(body, headers, { jsonParse: false });
    return true;
  } catch {
    return false;
  }
};

describe('Function: webhookBody', () => {
  it('is {type, timestamp, data} with the event time', () => {
    // Act
    const body = webhookBody({ eventType: 'order.created', createdAt: '2026-01-01T00:00:00.000Z' }, '{"id":1}');

    // Assess
    expect(JSON.parse(body)).toEqual({ type: 'order.created', timestamp: '2026-01-01T00:00:00.000Z', data: { id: 1 } });
  });

  it('carries the data text exactly as published: numbers, exponents, escapes and whitespace untouched', () => {
    // Prepare
    const dataJson = '{ "id": 12345678901234567890, "huge": 1e400, "price": 1.10, "name": "\\u00e9t\\u00e9" }';

    // Act
    const body = webhookBody({ eventType: 'order.created', createdAt: '2026-01-01T00:00:00.000Z' }, dataJson);

    // Assess
    expect(body).toBe(`{"type":"order.created","timestamp":"2026-01-01T00:00:00.000Z","data":${dataJson}}`);
  });

  it('is the JSON.stringify of {type, timestamp, data} for data written by JSON.stringify, as before data was kept as text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (data, eventType) => {
        // Act
        const body = webhookBody({ eventType, createdAt: '2026-01-01T00:00:00.000Z' }, JSON.stringify(data));

        // Assess
        expect(body).toBe(JSON.stringify({ type: eventType, timestamp: '2026-01-01T00:00:00.000Z', data }));
      }),
    );
  });

  it('sends null for missing data rather than dropping the field', () => {
    // Act
    const body = webhookBody({ eventType: 'a', createdAt: '2026-01-01T00:00:00.000Z' }, undefined);

    // Assess
    expect(JSON.parse(body)).toHaveProperty('data', null);
  });
});

describe('Function: webhookHeaders', () => {
  it('sets the Standard Webhooks headers, content-type and user-agent', () => {
    // Prepare
    const nowMs = Date.now();
    const subscription = aSubscription();
    const body = '{"type":"a"}';

    // Act
    const headers = webhookHeaders(subscription, EVENT_ID, body, nowMs);

    // Assess
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': EVENT_ID,
      'webhook-timestamp': String(Math.floor(nowMs / 1000)),
    });
    expect(headers['webhook-signature']).toBe(
      signature(subscription.secrets.current, { id: EVENT_ID, timestampSeconds: Math.floor(nowMs / 1000), body }),
    );
    expect(verifies(subscription.secrets.current, body, headers)).toBe(true);
  });

  it('includes the subscription headers', () => {
    // Prepare
    const subscription = aSubscription({ headers: { 'X-Tenant': 'acme', Authorization: 'Bearer t' } });

    // Act
    const headers = webhookHeaders(subscription, EVENT_ID, '{}', Date.now());

    // Assess
    expect(headers['x-tenant']).toBe('acme');
    expect(headers.authorization).toBe('Bearer t');
  });

  it.each(['Webhook-Id', 'webhook-id', 'WEBHOOK-ID', 'Content-Type', 'CONTENT-TYPE', 'Webhook-Signature', 'Webhook-Timestamp', 'User-Agent'])(
    'never lets a subscription header %s override the sender header',
    (name) => {
      // Prepare
      const nowMs = Date.now();
      const subscription = aSubscription({ headers: { [name]: 'spoofed' } });

      // Act
      const headers = webhookHeaders(subscription, EVENT_ID, '{}', nowMs);

      // Assess
      const sameName = Object.entries(headers).filter(([key]) => key.toLowerCase() === name.toLowerCase());
      expect(sameName).toHaveLength(1);
      expect(sameName[0]![1]).not.toBe('spoofed');
      expect(verifies(subscription.secrets.current, '{}', headers)).toBe(true);
    },
  );

  it('signs with both secrets during the rotation grace period, each verifiable', () => {
    // Prepare
    const nowMs = Date.now();
    const current = generateSecret();
    const previous = generateSecret();
    const subscription = aSubscription({
      secrets: { current, previous, previousExpiresAt: new Date(nowMs + 3600_000).toISOString() },
    });
    const body = '{"type":"a","data":1}';

    // Act
    const headers = webhookHeaders(subscription, EVENT_ID, body, nowMs);

    // Assess
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verifies(current, body, headers)).toBe(true);
    expect(verifies(previous, body, headers)).toBe(true);
  });

  it('signs with the current secret only after the previous one expired', () => {
    // Prepare
    const nowMs = Date.now();
    const current = generateSecret();
    const previous = generateSecret();
    const subscription = aSubscription({
      secrets: { current, previous, previousExpiresAt: new Date(nowMs - 1).toISOString() },
    });

    // Act
    const headers = webhookHeaders(subscription, EVENT_ID, '{}', nowMs);

    // Assess
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(verifies(current, '{}', headers)).toBe(true);
    expect(verifies(previous, '{}', headers)).toBe(false);
  });

  it('produces headers the reference library verifies for any body and header set', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.dictionary(fc.constantFrom('Webhook-Id', 'webhook-signature', 'Content-Type', 'X-A', 'x-b'), fc.string({ maxLength: 20 })),
        (body, custom) => {
          // Prepare
          const nowMs = Date.now();
          const subscription = aSubscription({ headers: custom, secrets: { current: generateSecret() } });

          // Act
          const headers = webhookHeaders(subscription, EVENT_ID, body, nowMs);

          // Assess
          expect(headers['webhook-id']).toBe(EVENT_ID);
          expect(headers['content-type']).toBe('application/json');
          expect(verifies(subscription.secrets.current, body, headers)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('Function: signingSecrets', () => {
  it('gives the current secret alone when there is no previous one', () => {
    expect(signingSecrets(aSubscription({ secrets: { current: 'whsec_a' } }), Date.now())).toEqual(['whsec_a']);
  });

  it('drops a previous secret without an expiry', () => {
    expect(signingSecrets(aSubscription({ secrets: { current: 'whsec_a', previous: 'whsec_b' } }), Date.now())).toEqual(['whsec_a']);
  });

  it('keeps the previous secret until, and not at, its expiry', () => {
    // Prepare
    const expiry = Date.UTC(2026, 5, 1);
    const subscription = aSubscription({
      secrets: { current: 'whsec_a', previous: 'whsec_b', previousExpiresAt: new Date(expiry).toISOString() },
    });

    // Act & Assess
    expect(signingSecrets(subscription, expiry - 1)).toEqual(['whsec_a', 'whsec_b']);
    expect(signingSecrets(subscription, expiry)).toEqual(['whsec_a']);
  });
});
