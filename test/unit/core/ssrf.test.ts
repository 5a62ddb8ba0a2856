import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import {
  checkTargetUrl,
  InvalidCidrError,
  isAddressAllowed,
  parseCidrList,
  type TargetPolicy,
} from '../../../lambdas/core/ssrf';

const NONE: TargetPolicy = { allowHttp: false, allowedNetworks: [] };
const HTTP_OK: TargetPolicy = { allowHttp: true, allowedNetworks: [] };

/** IPv4 ranges no webhook may reach unless explicitly allowed. */
const REFUSED_V4_RANGES: Array<[string, string]> = [
  ['"this network"', '0.0.0.0/8'],
  ['private 10/8', '10.0.0.0/8'],
  ['CGNAT', '100.64.0.0/10'],
  ['loopback', '127.0.0.0/8'],
  ['link-local', '169.254.0.0/16'],
  ['private 172.16/12', '172.16.0.0/12'],
  ['IETF protocol assignments', '192.0.0.0/24'],
  ['TEST-NET-1', '192.0.2.0/24'],
  ['private 192.168/16', '192.168.0.0/16'],
  ['benchmarking', '198.18.0.0/15'],
  ['TEST-NET-2', '198.51.100.0/24'],
  ['TEST-NET-3', '203.0.113.0/24'],
  ['multicast', '224.0.0.0/4'],
  ['reserved 240/4 and broadcast', '240.0.0.0/4'],
];

const v4InRange = (cidr: string) => {
  const [network, bits] = ipaddr.IPv4.parseCIDR(cidr);
  const base = network.toByteArray().reduce((n, byte) => n * 256 + byte, 0);
  const size = 2 ** (32 - bits);
  return fc.integer({ min: 0, max: size - 1 }).map((offset) => {
    const value = base + offset;
    return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
  });
};
const refusedV4Arb = fc.oneof(...REFUSED_V4_RANGES.map(([, cidr]) => v4InRange(cidr)));

const mappedForms = (v4: string): string[] => {
  const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
  const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
  return [`::ffff:${v4}`, `::ffff:${hex(a, b)}:${hex(c, d)}`, `0:0:0:0:0:ffff:${v4}`, `::FFFF:${v4}`];
};

describe('Function: isAddressAllowed', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '169.254.0.1',
    '100.64.0.1',
    '100.127.255.255',
    '224.0.0.1',
    '239.255.255.250',
    '255.255.255.255',
    '0.0.0.0',
    '0.1.2.3',
    '192.0.2.10',
    '198.51.100.7',
    '203.0.113.99',
    '240.0.0.1',
    '198.18.0.1',
    '::1',
    '::',
    'fe80::1',
    'febf::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    'ff00::',
    '2001:db8::1',
    '2001:db8:ffff::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '::ffff:10.0.0.1',
    '64:ff9b::7f00:1',
    '64:ff9b::a00:1',
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::',
    '2002:a00:1::1',
    '::7f00:1',
    'fec0::1',
    '100::1',
  ])('refuses %s', (address) => {
    // Act & Assess
    expect(isAddressAllowed(address, NONE)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])(
    'allows the public address %s',
    (address) => {
      expect(isAddressAllowed(address, NONE)).toBe(true);
    },
  );

  it.each(['64:ff9b:1:7f00:0:100:808:808', '64:ff9b:1::808:808', '64:ff9b:1::7f00:1'])(
    'refuses the local-use NAT64 address %s, whose embedded IPv4 depends on the prefix length',
    (address) => {
      // Prepare: under a /48 translator, 64:ff9b:1:7f00:0:100:: embeds 127.0.0.1 (RFC 6052 section 2.2)
      const policy = { allowedNetworks: [] };

      // Act & Assess
      expect(isAddressAllowed(address, policy)).toBe(false);
    },
  );

  it.each(['', 'localhost', 'example.com', '1.2.3.4.5', '::g', '999.1.1.1'])('refuses %j, which is not an address', (address) => {
    expect(isAddressAllowed(address, NONE)).toBe(false);
  });

  it('lets a listed private network through, and only that one', () => {
    // Prepare
    const policy = { allowedNetworks: parseCidrList('10.0.0.0/8') };

    // Act & Assess
    expect(isAddressAllowed('10.1.2.3', policy)).toBe(true);
    expect(isAddressAllowed('::ffff:10.1.2.3', policy)).toBe(true);
    expect(isAddressAllowed('192.168.1.1', policy)).toBe(false);
    expect(isAddressAllowed('127.0.0.1', policy)).toBe(false);
    expect(isAddressAllowed('169.254.169.254', policy)).toBe(false);
    expect(isAddressAllowed('11.0.0.1', policy)).toBe(true);
  });

  it('lets a listed IPv6 network through without opening the IPv4 ones', () => {
    // Prepare
    const policy = { allowedNetworks: parseCidrList('fd00::/8, ::1/128') };

    // Act & Assess
    expect(isAddressAllowed('fd00::5', policy)).toBe(true);
    expect(isAddressAllowed('::1', policy)).toBe(true);
    expect(isAddressAllowed('fc00::5', policy)).toBe(false);
    expect(isAddressAllowed('127.0.0.1', policy)).toBe(false);
  });

  it('refuses any IPv4 address inside a refused range', () => {
    fc.assert(
      fc.property(refusedV4Arb, (address) => {
        expect(isAddressAllowed(address, NONE)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every IPv4-mapped, NAT64 and 6to4 spelling of a refused IPv4 address', () => {
    fc.assert(
      fc.property(refusedV4Arb, (address) => {
        // Prepare
        const [a, b, c, d] = address.split('.').map(Number) as [number, number, number, number];
        const hi = ((a << 8) | b).toString(16);
        const lo = ((c << 8) | d).toString(16);
        const forms = [...mappedForms(address), `64:ff9b::${hi}:${lo}`, `64:ff9b::${address}`, `2002:${hi}:${lo}::1`];

        // Act & Assess
        for (const form of forms) expect(isAddressAllowed(form, NONE), form).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses every IPv6 address outside global unicast 2000::/3', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (parts) => {
        // Prepare: force the first three bits away from 001
        const first = parts[0]! & 0x1fff ? (parts[0]! & 0x1fff) | 0x4000 : 0xe000;
        const address = new ipaddr.IPv6([first, ...parts.slice(1)]).toString();

        // Act & Assess
        expect(isAddressAllowed(address, NONE), address).toBe(false);
      }),
    );
  });
});

describe('Function: parseCidrList', () => {
  it('parses comma-separated IPv4 and IPv6 blocks, ignoring blanks', () => {
    // Act
    const networks = parseCidrList(' 10.0.0.0/8, ,fd00::/8,');

    // Assess
    expect(networks).toHaveLength(2);
    expect(networks[0]![0].toString()).toBe('10.0.0.0');
    expect(networks[0]![1]).toBe(8);
    expect(networks[1]![0].kind()).toBe('ipv6');
  });

  it('gives no networks for an empty value', () => {
    expect(parseCidrList('')).toEqual([]);
  });

  it.each(['10.0.0.0', '10.0.0.0/33', 'banana', '10.0.0.0/8,300.0.0.0/8', 'fd00::/129'])(
    'refuses %j with an error that names the bad block',
    (value) => {
      // Prepare
      const bad = value.split(',').at(-1)!;

      // Act
      const parse = () => parseCidrList(value);

      // Assess
      expect(parse).toThrow(InvalidCidrError);
      expect(parse).toThrow(`"${bad}"`);
    },
  );
});

describe('Function: checkTargetUrl', () => {
  it.each(['http://localhost/', 'http://LOCALHOST./', 'http://api.localhost/', 'https://a.b.localhost.:8443/x'])(
    'treats %s as loopback, whatever DNS would say',
    (url) => {
      // Act
      const refused = checkTargetUrl(url, { allowHttp: true, allowedNetworks: [] });
      const allowed = checkTargetUrl(url, { allowHttp: true, allowedNetworks: parseCidrList('127.0.0.0/8') });

      // Assess
      expect(refused).toMatchObject({ ok: false, reason: 'address_not_allowed' });
      expect(allowed).toMatchObject({ ok: true, literalAddress: '127.0.0.1' });
    },
  );

  it('accepts an https URL with a hostname and leaves the address check to the DNS stage', () => {
    // Act
    const result = checkTargetUrl('https://hooks.example.com/path?x=1', NONE);

    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.hostname).toBe('hooks.example.com');
    expect(result.literalAddress).toBeUndefined();
    expect(result.url.pathname).toBe('/path');
  });

  it('refuses http unless allowHttp is set', () => {
    // Act
    const refused = checkTargetUrl('http://hooks.example.com/', NONE);
    const allowed = checkTargetUrl('http://hooks.example.com/', HTTP_OK);

    // Assess
    expect(refused).toMatchObject({ ok: false, reason: 'scheme_not_allowed' });
    expect(allowed.ok).toBe(true);
  });

  it.each(['ftp://example.com/', 'file:///etc/passwd', 'gopher://example.com/', 'javascript:alert(1)', 'ws://example.com/'])(
    'refuses the scheme of %s even with allowHttp',
    (url) => {
      expect(checkTargetUrl(url, HTTP_OK)).toMatchObject({ ok: false, reason: 'scheme_not_allowed' });
    },
  );

  it.each(['not a url', '/relative/path', '', 'https://'])('refuses %j as an invalid URL', (url) => {
    expect(checkTargetUrl(url, HTTP_OK)).toMatchObject({ ok: false, reason: 'invalid_url' });
  });

  it.each(['https://user:pass@example.com/', 'https://user@example.com/', 'https://:pass@example.com/'])(
    'refuses credentials in %s',
    (url) => {
      expect(checkTargetUrl(url, NONE)).toMatchObject({ ok: false, reason: 'credentials_in_url' });
    },
  );

  it.each([
    'http://2130706433/',
    'http://0x7f.1/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://127.0.0.1./',
    'http://0x7f000001/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[::1]/',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://0/',
    'http://10.0.0.1:8080/',
  ])('refuses the numeric host spelling %s', (url) => {
    // Act
    const result = checkTargetUrl(url, HTTP_OK);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'address_not_allowed' });
  });

  it('accepts a public literal address and reports it', () => {
    // Act
    const v4 = checkTargetUrl('https://8.8.8.8/hook', NONE);
    const v6 = checkTargetUrl('https://[2606:4700:4700::1111]/hook', NONE);

    // Assess
    expect(v4).toMatchObject({ ok: true, literalAddress: '8.8.8.8' });
    expect(v6).toMatchObject({ ok: true, literalAddress: '2606:4700:4700::1111' });
  });

  it('accepts a private literal address inside an allowed network', () => {
    // Prepare
    const policy: TargetPolicy = { allowHttp: true, allowedNetworks: parseCidrList('127.0.0.0/8') };

    // Act
    const result = checkTargetUrl('http://127.0.0.1:3000/hook', policy);

    // Assess
    expect(result).toMatchObject({ ok: true, literalAddress: '127.0.0.1' });
  });

  it('refuses any URL whose host is a refused IPv4 address, whatever its spelling', () => {
    fc.assert(
      fc.property(refusedV4Arb, fc.constantFrom('dotted', 'integer', 'hex', 'mapped'), (address, spelling) => {
        // Prepare
        const value = address.split('.').map(Number).reduce((n, byte) => n * 256 + byte, 0);
        const host = {
          dotted: address,
          integer: String(value),
          hex: `0x${value.toString(16)}`,
          mapped: `[::ffff:${address}]`,
        }[spelling];

        // Act
        const result = checkTargetUrl(`http://${host}/`, HTTP_OK);

        // Assess
        expect(result.ok, host).toBe(false);
      }),
    );
  });
});
