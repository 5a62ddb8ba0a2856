import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  anyFilterMatches,
  filterMatches,
  isValidEventType,
  isOperationalEventType,
  isValidEventTypeFilter,
  MAX_EVENT_TYPE_LENGTH,
  OPERATIONAL_EVENT_TYPES,
} from '../../../lambdas/core/event-types';

const WORD_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'.split('');
const wordArb = fc.string({ unit: fc.constantFrom(...WORD_CHARS), minLength: 1, maxLength: 12 });
const eventTypeArb = fc
  .array(wordArb, { minLength: 1, maxLength: 6 })
  .map((words) => words.join('.'))
  .filter((type) => type.length <= MAX_EVENT_TYPE_LENGTH);

describe('Function: isValidEventType', () => {
  it.each([
    'order',
    'order.created',
    'Order.Created_v2',
    'a-b.c_d.0',
    'x',
    'a'.repeat(MAX_EVENT_TYPE_LENGTH),
  ])('accepts %j', (type) => {
    // Act & Assess
    expect(isValidEventType(type)).toBe(true);
  });

  it.each([
    ['the empty string', ''],
    ['129 characters', 'a'.repeat(MAX_EVENT_TYPE_LENGTH + 1)],
    ['an empty segment', 'a..b'],
    ['a leading dot', '.order'],
    ['a trailing dot', 'order.'],
    ['a lone dot', '.'],
    ['a space', 'order created'],
    ['a wildcard', 'order.*'],
    ['a slash', 'order/created'],
    ['a non-ASCII letter', 'ordér.created'],
    ['a colon', 'order:created'],
    ['a trailing newline', 'order\n'],
  ])('refuses %s', (_label, type) => {
    // Act & Assess
    expect(isValidEventType(type)).toBe(false);
  });

  it('accepts every dot-joined sequence of non-empty words up to 128 characters', () => {
    fc.assert(fc.property(eventTypeArb, (type) => {
        expect(isValidEventType(type)).toBe(true);
      }),
    );
  });

  it('refuses any string with a character outside [A-Za-z0-9_.-]', () => {
    fc.assert(
      fc.property(
        eventTypeArb,
        fc.string({ minLength: 1, maxLength: 1 }).filter((c) => !/[A-Za-z0-9_.-]/.test(c)),
        fc.nat(),
        (type, bad, at) => {
          // Prepare
          const position = at % (type.length + 1);
          const spoiled = type.slice(0, position) + bad + type.slice(position);

          // Act & Assess
          expect(isValidEventType(spoiled)).toBe(false);
        },
      ),
    );
  });

  it('refuses any type longer than 128 characters even when its charset is valid', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_EVENT_TYPE_LENGTH + 1, max: 400 }), (length) => {
        expect(isValidEventType('a'.repeat(length))).toBe(false);
      }),
    );
  });
});

describe('Function: isValidEventTypeFilter', () => {
  it.each(['*', 'order.*', 'order.created', 'a.b.*', 'order'])('accepts %j', (filter) => {
    expect(isValidEventTypeFilter(filter)).toBe(true);
  });

  it.each(['', '**', '*.*', 'order*', 'order.*.created', '.*', 'order..*', 'order.*.*', '*.created'])(
    'refuses %j',
    (filter) => {
      expect(isValidEventTypeFilter(filter)).toBe(false);
    },
  );

  it('accepts a prefix wildcard of any valid type', () => {
    fc.assert(fc.property(eventTypeArb, (type) => {
        expect(isValidEventTypeFilter(`${type}.*`)).toBe(true);
      }),
    );
  });
});

describe('Function: filterMatches', () => {
  it.each([
    ['order.*', 'order.created', true],
    ['order.*', 'order.x.y', true],
    ['order.*', 'order', false],
    ['order.*', 'orders.created', false],
    ['order.*', 'order_created', false],
    ['*', 'order', true],
    ['*', 'anything.at.all', true],
    ['order.created', 'order.created', true],
    ['order.created', 'order.created.v2', false],
    ['order.created', 'Order.Created', false],
    ['order', 'order.created', false],
  ])('filter %j against type %j is %s', (filter, type, expected) => {
    // Act & Assess
    expect(filterMatches(filter, type)).toBe(expected);
  });

  it('matches every type with "*"', () => {
    fc.assert(fc.property(eventTypeArb, (type) => {
        expect(filterMatches('*', type)).toBe(true);
      }),
    );
  });

  it('matches a type exactly with itself, and with the wildcard of each of its proper prefixes', () => {
    fc.assert(
      fc.property(eventTypeArb, (type) => {
        // Prepare
        const words = type.split('.');
        const prefixes = words.slice(0, -1).map((_, i) => words.slice(0, i + 1).join('.'));

        // Act & Assess
        expect(filterMatches(type, type)).toBe(true);
        for (const prefix of prefixes) expect(filterMatches(`${prefix}.*`, type)).toBe(true);
        expect(filterMatches(`${type}.*`, type)).toBe(false);
      }),
    );
  });

  it('never matches a prefix wildcard against a type that only shares a word prefix', () => {
    fc.assert(
      fc.property(eventTypeArb, wordArb, eventTypeArb, (prefix, extra, rest) => {
        // Prepare: "order.*" must not match "orders.created"
        const type = `${prefix}${extra}.${rest}`;

        // Act & Assess
        expect(filterMatches(`${prefix}.*`, type)).toBe(false);
      }),
    );
  });
});

describe('Function: anyFilterMatches', () => {
  it('is true when one of several filters matches and false for none or no filters', () => {
    // Act & Assess
    expect(anyFilterMatches(['invoice.paid', 'order.*'], 'order.created')).toBe(true);
    expect(anyFilterMatches(['invoice.paid', 'order.*'], 'user.created')).toBe(false);
    expect(anyFilterMatches([], 'order.created')).toBe(false);
  });
});

describe('Function: isOperationalEventType', () => {
  it.each(['webhook.x', 'Webhook.x', 'WEBHOOK.x', 'wEbHoOk.delivery.exhausted', ...Object.values(OPERATIONAL_EVENT_TYPES)])(
    'reserves %j: the prefix in any letter case',
    (type) => {
      // Act & Assess
      expect(isOperationalEventType(type)).toBe(true);
    },
  );

  it.each(['webhooks.x', 'webhook', 'Webhook', 'my.webhook.x', 'webhookx.y', 'order.created'])('leaves %j to tenants', (type) => {
    // Act & Assess
    expect(isOperationalEventType(type)).toBe(false);
  });
});
