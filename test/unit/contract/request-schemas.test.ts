import { describe, expect, it } from 'vitest';
import {
  createSubscriptionRequestSchema,
  publishEventRequestSchema,
  RESERVED_HEADER_NAMES,
  updateSubscriptionRequestSchema,
} from '../../../lambdas/contract/request-schemas';

const aSubscriptionRequest = (headers?: Record<string, string>) => ({
  url: 'https://receiver.example.com/hooks',
  eventTypes: ['order.*'],
  ...(headers === undefined ? {} : { headers }),
});

describe('Schema: publishEventRequestSchema', () => {
  it.each([
    ['an object', { type: 'order.created', data: { id: 1 } }],
    ['null data', { type: 'order.created', data: null }],
    ['scalar data', { type: 'order.created', data: 0 }],
    ['an idempotency key', { type: 'order.created', data: [], idempotencyKey: 'abc-123' }],
  ])('accepts %s', (_label, body) => {
    expect(publishEventRequestSchema.safeParse(body).success).toBe(true);
  });

  it('refuses a body without data and says data is required', () => {
    // Act
    const result = publishEventRequestSchema.safeParse({ type: 'order.created' });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain('data');
  });

  it('refuses an unknown field', () => {
    // Act
    const result = publishEventRequestSchema.safeParse({ type: 'order.created', data: {}, typo: 1 });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.code).toBe('unrecognized_keys');
  });

  it.each([
    ['an invalid type', { type: 'order..created', data: {} }],
    ['a wildcard type', { type: 'order.*', data: {} }],
    ['a too long type', { type: 'a'.repeat(129), data: {} }],
    ['a missing type', { data: {} }],
    ['an empty idempotency key', { type: 'a', data: {}, idempotencyKey: '' }],
    ['a 256-character idempotency key', { type: 'a', data: {}, idempotencyKey: 'k'.repeat(256) }],
    ['a numeric idempotency key', { type: 'a', data: {}, idempotencyKey: 5 }],
  ])('refuses %s', (_label, body) => {
    expect(publishEventRequestSchema.safeParse(body).success).toBe(false);
  });
});

describe('Schema: createSubscriptionRequestSchema', () => {
  it('accepts a minimal request and one with custom headers', () => {
    // Act & Assess
    expect(createSubscriptionRequestSchema.safeParse(aSubscriptionRequest()).success).toBe(true);
    expect(createSubscriptionRequestSchema.safeParse(aSubscriptionRequest({ 'X-Tenant': 'acme', Authorization: 'Bearer t' })).success).toBe(true);
  });

  it.each(['webhook-id', 'Webhook-Signature', 'WEBHOOK-TIMESTAMP', 'webhook-anything', 'Content-Type', 'content-type', 'Host', 'User-Agent', 'Content-Length', 'Transfer-Encoding'])(
    'refuses the sender-owned header %s',
    (name) => {
      // Act
      const result = createSubscriptionRequestSchema.safeParse(aSubscriptionRequest({ [name]: 'x' }));

      // Assess
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toContain('cannot be overridden');
    },
  );

  it('refuses every reserved header name in any case', () => {
    for (const name of RESERVED_HEADER_NAMES) {
      expect(createSubscriptionRequestSchema.safeParse(aSubscriptionRequest({ [name.toUpperCase()]: 'x' })).success, name).toBe(false);
    }
  });

  it.each(['X Space', 'X:Colon', '', 'X\nNewline', 'Ünicode', 'x'.repeat(101), 'X(paren)'])('refuses the header name %j', (name) => {
    // Act
    const result = createSubscriptionRequestSchema.safeParse(aSubscriptionRequest({ [name]: 'x' }));

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('not a valid header name');
  });

  it.each(['line\r\nInjected: yes', 'nul\u0000', 'x'.repeat(1001)])('refuses the header value %j', (value) => {
    expect(createSubscriptionRequestSchema.safeParse(aSubscriptionRequest({ 'X-Custom': value })).success).toBe(false);
  });

  it.each([
    ['no event types', { url: 'https://a.example', eventTypes: [] }],
    ['an invalid filter', { url: 'https://a.example', eventTypes: ['order.*.x'] }],
    ['an unknown field', { ...aSubscriptionRequest(), secret: 'whsec_x' }],
    ['a zero rate limit', { ...aSubscriptionRequest(), rateLimitPerSecond: 0 }],
    ['an empty url', { url: '', eventTypes: ['*'] }],
  ])('refuses %s', (_label, body) => {
    expect(createSubscriptionRequestSchema.safeParse(body).success).toBe(false);
  });
});

describe('Schema: updateSubscriptionRequestSchema', () => {
  it('refuses an empty body', () => {
    // Act
    const result = updateSubscriptionRequestSchema.safeParse({});

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('at least one field must be given');
  });

  it('accepts a single change, and null to clear the description', () => {
    expect(updateSubscriptionRequestSchema.safeParse({ enabled: false }).success).toBe(true);
    expect(updateSubscriptionRequestSchema.safeParse({ description: null }).success).toBe(true);
  });

  it('applies the same header rules as create and refuses unknown fields', () => {
    expect(updateSubscriptionRequestSchema.safeParse({ headers: { 'Webhook-Id': 'x' } }).success).toBe(false);
    expect(updateSubscriptionRequestSchema.safeParse({ secret: 'x' }).success).toBe(false);
  });
});
