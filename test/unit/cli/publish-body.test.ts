import { InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { publishEventBody } from '../../../cli/publish-body';
import { memberText, readJsonStructure } from '../../../lambdas/core/json-text';
import { jsonText } from '../../support/json-texts';

describe('CLI: the body of events send', () => {
  it('carries the data as the text given, trimmed, its numbers not rounded', () => {
    // Arrange
    const data = '\n {"id":12345678901234567890, "price":0.1000000000000000055511151231257827,\n "huge":1e400}\n';

    // Act
    const body = publishEventBody('order.created', data);

    // Assess
    expect(body).toBe('{"type":"order.created","data":{"id":12345678901234567890, "price":0.1000000000000000055511151231257827,\n "huge":1e400}}');
  });

  it('carries any JSON text as its data member, byte for byte but for the surrounding whitespace', () => {
    fc.assert(
      fc.property(jsonText(), (text) => {
        const body = publishEventBody('a', text);
        expect(memberText(body, readJsonStructure(body), 'data')).toBe(text.trim());
      }),
    );
  });

  it('writes the type as a JSON string', () => {
    // Act
    const body = publishEventBody('say "hi"\\now', '7');

    // Assess
    expect(JSON.parse(body)).toEqual({ type: 'say "hi"\\now', data: 7 });
  });

  it('names the consumer and the one subscription when given, the data kept as written', () => {
    // Act
    const routed = publishEventBody('invoice.paid', '{"n":12345678901234567890}', { consumerId: 'cus_acme', subscriptionId: 'sub_1' });
    const unrouted = publishEventBody('invoice.paid', '1', {});

    // Assess
    expect(routed).toBe('{"type":"invoice.paid","consumerId":"cus_acme","subscriptionId":"sub_1","data":{"n":12345678901234567890}}');
    expect(unrouted).toBe('{"type":"invoice.paid","data":1}');
  });

  it('refuses data that is not JSON with a usage error', () => {
    // Act
    const build = () => publishEventBody('a', '{"id":1} trailing');

    // Assess
    expect(build).toThrow(InvalidArgumentError);
    expect(build).toThrow(/^the data is not JSON: /);
  });
});
