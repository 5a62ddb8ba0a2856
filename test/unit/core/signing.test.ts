import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSecret, SECRET_PREFIX, signature, signatureHeader } from '../../../lambdas/core/signing';

const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestampSeconds: 1614265330,
  body: '{"test": 2432232314}',
  expected: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const nowSeconds = () => Math.floor(Date.now() / 1000);

const headersFor = (id: string, timestampSeconds: number, signatureValue: string) => ({
  'webhook-id': id,
  'webhook-timestamp': String(timestampSeconds),
  'webhook-signature': signatureValue,
});

describe('Function: signature', () => {
  it('reproduces the Standard Webhooks test vector', () => {
    // Prepare
    const { secret, id, timestampSeconds, body } = VECTOR;

    // Act
    const result = signature(secret, { id, timestampSeconds, body });

    // Assess
    expect(result).toBe(VECTOR.expected);
  });

  it('agrees with the reference library signer for the test vector', () => {
    // Prepare
    const reference = new Webhook(VECTOR.secret);

    // Act
    const expected = reference.sign(VECTOR.id, new Date(VECTOR.timestampSeconds * 1000), VECTOR.body);

    // Assess
    expect(signature(VECTOR.secret, VECTOR)).toBe(expected);
  });

  it('changes when any of id, timestamp or body changes', () => {
    // Prepare
    const base = signature(VECTOR.secret, VECTOR);

    // Act
    const variants = [
      signature(VECTOR.secret, { ...VECTOR, id: `${VECTOR.id}x` }),
      signature(VECTOR.secret, { ...VECTOR, timestampSeconds: VECTOR.timestampSeconds + 1 }),
      signature(VECTOR.secret, { ...VECTOR, body: `${VECTOR.body} ` }),
    ];

    // Assess
    for (const variant of variants) expect(variant).not.toBe(base);
  });
});

describe('Function: signatureHeader', () => {
  it('gives one space-separated signature per secret, each verifiable by the reference library', () => {
    // Prepare
    const secrets = [generateSecret(), generateSecret()];
    const input = { id: 'evt_01J0000000000000000000000', timestampSeconds: nowSeconds(), body: '{"type":"a","data":1}' };

    // Act
    const header = signatureHeader(secrets, input);

    // Assess
    const parts = header.split(' ');
    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe(signature(secrets[0]!, input));
    expect(parts[1]).toBe(signature(secrets[1]!, input));
    for (const [index, secret] of secrets.entries()) {
      const onlyThis = headersFor(input.id, input.timestampSeconds, parts[index]!);
      expect(new Webhook(secret).verify(input.body, onlyThis)).toEqual({ type: 'a', data: 1 });
      expect(() => new Webhook(secret).verify(input.body, headersFor(input.id, input.timestampSeconds, header))).not.toThrow();
    }
  });

  it('is refused by the reference library under a secret it was not signed with', () => {
    // Prepare
    const input = { id: 'evt_1', timestampSeconds: nowSeconds(), body: '{}' };
    const header = signatureHeader([generateSecret()], input);

    // Act
    const verify = () => new Webhook(generateSecret()).verify(input.body, headersFor(input.id, input.timestampSeconds, header));

    // Assess
    expect(verify).toThrow(/No matching signature/);
  });

  it('verifies with the reference library for any id, body and pair of secrets', () => {
    const secretArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => generateSecret(() => Buffer.from(bytes)));
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 64 }).filter((id) => !id.includes(' ')),
        fc.string({ unit: 'grapheme', maxLength: 500 }),
        secretArb,
        secretArb,
        (id, body, current, previous) => {
          // Prepare
          const timestampSeconds = nowSeconds();

          // Act
          const header = signatureHeader([current, previous], { id, timestampSeconds, body });

          // Assess
          for (const secret of [current, previous]) {
            expect(() =>
              new Webhook(secret).verify(body, headersFor(id, timestampSeconds, header), { jsonParse: false }),
            ).not.toThrow();
          }
        },
      ),
    );
  });

  it('gives an empty header when no secret is active', () => {
    // Act
    const header = signatureHeader([], { id: 'a', timestampSeconds: 1, body: '' });

    // Assess
    expect(header).toBe('');
  });
});

describe('Function: generateSecret', () => {
  it('is whsec_ followed by the base64 of 32 random bytes', () => {
    // Act
    const secret = generateSecret();

    // Assess
    expect(secret.startsWith(SECRET_PREFIX)).toBe(true);
    const encoded = secret.slice(SECRET_PREFIX.length);
    expect(encoded).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(encoded, 'base64')).toHaveLength(32);
  });

  it('encodes exactly the bytes the random source gives', () => {
    // Prepare
    const bytes = Buffer.alloc(32, 0xab);
    let requested = 0;

    // Act
    const secret = generateSecret((size) => {
      requested = size;
      return bytes;
    });

    // Assess
    expect(requested).toBe(32);
    expect(secret).toBe(`whsec_${bytes.toString('base64')}`);
  });

  it('differs between calls', () => {
    // Act
    const secrets = new Set(Array.from({ length: 50 }, () => generateSecret()));

    // Assess
    expect(secrets.size).toBe(50);
  });
});
