import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deliveryMessageSchema,
  deliveryQueueMessageSchema,
  fanoutMessageSchema,
  fanoutQueueMessageSchema,
  INLINE_DATA_LIMIT_BYTES,
  inlineData,
  MalformedMessageError,
  parseMessage,
} from '../../../lambdas/core/messages';
import { aDeliveryMessage, aFanoutMessage } from '../../kit/builders';

describe('Function: parseMessage', () => {
  it('reads a valid delivery message', () => {
    // Prepare
    const message = aDeliveryMessage();

    // Act
    const parsed = parseMessage(deliveryMessageSchema, JSON.stringify(message));

    // Assess
    expect(parsed).toEqual(message);
  });

  it('reads a valid fan-out message, with and without its optional replay target and cursor', () => {
    // Prepare
    const plain = aFanoutMessage();
    const continued = aFanoutMessage({ run: 'run_01J00000000000000000000000', subscriptionId: 'sub_1', cursor: 'abc' });

    // Act & Assess
    expect(parseMessage(fanoutMessageSchema, JSON.stringify(plain))).toEqual(plain);
    expect(parseMessage(fanoutMessageSchema, JSON.stringify(continued))).toEqual(continued);
  });

  it('reads a message whose data is not inline', () => {
    // Prepare
    const { dataJson: _data, ...message } = aDeliveryMessage({ hasData: false });

    // Act
    const parsed = parseMessage(deliveryMessageSchema, JSON.stringify(message));

    // Assess
    expect(parsed.hasData).toBe(false);
    expect(parsed.dataJson).toBeUndefined();
  });

  it('keeps the data text of a message exactly, whatever its numbers and escapes', () => {
    // Prepare
    const dataJson = '{ "id": 12345678901234567890, "big": 1e400, "price": 0.10000000000000000001, "s": "\\u00e9\\ud800" }';

    // Act
    const parsed = parseMessage(deliveryMessageSchema, JSON.stringify(aDeliveryMessage({ dataJson })));

    // Assess
    expect(parsed.dataJson).toBe(dataJson);
  });

  it.each([
    ['an object', { orderId: 42, note: 'é' }, '{"orderId":42,"note":"é"}'],
    ['null', null, 'null'],
    ['a falsy number', 0, '0'],
  ])('reads data of a message sent before data was carried as text (%s) as the text those versions delivered', (_label, data, text) => {
    // Prepare: the earlier form carried the parsed value as `data`
    const { dataJson: _text, ...rest } = aDeliveryMessage();
    const legacy = { ...rest, data };

    // Act
    const delivery = parseMessage(deliveryMessageSchema, JSON.stringify(legacy));
    const fanout = parseMessage(fanoutMessageSchema, JSON.stringify({ ...aFanoutMessage(), dataJson: undefined, data }));
    const group = parseMessage(deliveryQueueMessageSchema, JSON.stringify({ ...aFanoutMessage(), dataJson: undefined, data, subscriptions: [{ id: 'sub_1', version: 1 }] }));

    // Assess
    for (const message of [delivery, fanout, group]) {
      expect(message.dataJson).toBe(text);
      expect(message).not.toHaveProperty('data');
    }
  });

  it.each([
    ['not JSON', 'not json'],
    ['empty', ''],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['version 2', JSON.stringify({ ...aDeliveryMessage(), v: 2 })],
    ['without a version', JSON.stringify({ ...aDeliveryMessage(), v: undefined })],
    ['the version as a string', JSON.stringify({ ...aDeliveryMessage(), v: '1' })],
    ['without subscriptionId', JSON.stringify({ ...aDeliveryMessage(), subscriptionId: undefined })],
    ['without tenantId', JSON.stringify({ ...aDeliveryMessage(), tenantId: undefined })],
    ['with an empty eventId', JSON.stringify({ ...aDeliveryMessage(), eventId: '' })],
    ['without hasData', JSON.stringify({ ...aDeliveryMessage(), hasData: undefined })],
    ['with a negative subscriptionVersion', JSON.stringify({ ...aDeliveryMessage(), subscriptionVersion: -1 })],
    ['with a fractional subscriptionVersion', JSON.stringify({ ...aDeliveryMessage(), subscriptionVersion: 1.5 })],
  ])('refuses a delivery message that is %s', (_label, body) => {
    // Act
    const parse = () => parseMessage(deliveryMessageSchema, body);

    // Assess
    expect(parse).toThrow(MalformedMessageError);
  });

  it('refuses a fan-out message without a run', () => {
    // Prepare
    const { run: _run, ...withoutRun } = aFanoutMessage();

    // Act & Assess
    expect(() => parseMessage(fanoutMessageSchema, JSON.stringify(withoutRun))).toThrow(MalformedMessageError);
  });

  it('reads a message with fields it does not know (a newer version sent it) without them, of every kind', () => {
    // Prepare: fields a later version might add, beside each kind's own.
    const added = { priority: 'high', trace: { id: 't-1' } };
    const delivery = aDeliveryMessage();
    const fanout = aFanoutMessage();
    const group = { ...aFanoutMessage(), subscriptions: [{ id: 'sub_1', version: 1, weight: 3 }] };
    const recover = { v: 1, kind: 'recover', tenantId: 'key_1', subscriptionId: 'sub_1', since: 1, until: 2, run: 'run_1' };

    // Act
    const parsed = [
      parseMessage(deliveryMessageSchema, JSON.stringify({ ...delivery, ...added })),
      parseMessage(fanoutMessageSchema, JSON.stringify({ ...fanout, ...added })),
      parseMessage(deliveryQueueMessageSchema, JSON.stringify({ ...group, ...added })),
      parseMessage(fanoutQueueMessageSchema, JSON.stringify({ ...recover, ...added })),
    ];

    // Assess: each is what it would be without the new fields.
    expect(parsed).toEqual([delivery, fanout, { ...group, subscriptions: [{ id: 'sub_1', version: 1 }] }, recover]);
  });

  it('still refuses a message of another version, whatever it holds', () => {
    // Act & Assess
    expect(() => parseMessage(deliveryMessageSchema, JSON.stringify({ ...aDeliveryMessage(), v: 2, priority: 'high' }))).toThrow(/v: /);
    expect(() => parseMessage(deliveryQueueMessageSchema, JSON.stringify({ ...aDeliveryMessage(), v: 2 }))).toThrow(MalformedMessageError);
  });

  it('says what was wrong', () => {
    // Act & Assess
    expect(() => parseMessage(deliveryMessageSchema, '{')).toThrow('not JSON');
    expect(() => parseMessage(deliveryMessageSchema, '{}')).toThrow(/does not match the schema.*tenantId/);
  });

  it('throws only MalformedMessageError, whatever the body', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (body) => {
        try {
          parseMessage(deliveryMessageSchema, body);
        } catch (error) {
          expect(error).toBeInstanceOf(MalformedMessageError);
        }
      }),
    );
  });
});

describe('Function: inlineData', () => {
  it('keeps small data inline, as its text', () => {
    expect(inlineData('{"a": 1}')).toEqual({ dataJson: '{"a": 1}', hasData: true });
  });

  it('keeps null and falsy data inline', () => {
    expect(inlineData('null')).toEqual({ dataJson: 'null', hasData: true });
    expect(inlineData('0')).toEqual({ dataJson: '0', hasData: true });
    expect(inlineData('""')).toEqual({ dataJson: '""', hasData: true });
  });

  it('keeps data of exactly the limit inline and leaves one byte more out', () => {
    // Prepare: a JSON string's size is its characters plus two quotes
    const atLimit = 'x'.repeat(INLINE_DATA_LIMIT_BYTES - 2);
    const overLimit = 'x'.repeat(INLINE_DATA_LIMIT_BYTES - 1);

    // Act & Assess
    expect(inlineData(JSON.stringify(atLimit))).toEqual({ dataJson: JSON.stringify(atLimit), hasData: true });
    expect(inlineData(JSON.stringify(overLimit))).toEqual({ hasData: false });
  });

  it('measures bytes, not characters', () => {
    // Prepare: 'é' is two bytes in UTF-8
    const wide = 'é'.repeat(INLINE_DATA_LIMIT_BYTES / 2);

    // Act & Assess
    expect(inlineData(JSON.stringify(wide))).toEqual({ hasData: false });
  });

  it('leaves the data out exactly when its JSON is over the limit, and the message stays well under 256 KiB', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 * INLINE_DATA_LIMIT_BYTES }), (size) => {
        // Prepare
        const data = { blob: 'a'.repeat(size) };

        // Act
        const result = inlineData(JSON.stringify(data));

        // Assess
        const bytes = Buffer.byteLength(JSON.stringify(data));
        expect(result.hasData).toBe(bytes <= INLINE_DATA_LIMIT_BYTES);
        expect(Buffer.byteLength(JSON.stringify(aDeliveryMessage(result)))).toBeLessThan(64 * 1024);
      }),
      { numRuns: 50 },
    );
  });
});
