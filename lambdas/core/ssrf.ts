import ipaddr from 'ipaddr.js';

/**
 * The one SSRF policy: which URLs may be called and which resolved addresses may be connected to.
 * Used when a subscription is created or changed and again at every delivery, on every address
 * the host resolves to (the sender then pins the connection to a checked address).
 */
export interface TargetPolicy {
  allowHttp: boolean;
  /** Networks let through even though they are not public, e.g. a VPC's private range. */
  allowedNetworks: readonly ParsedCidr[];
}

export type ParsedCidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

export class InvalidCidrError extends Error {
  override name = 'InvalidCidrError';
}

/** Parses `WEBHOOK_ALLOWED_PRIVATE_NETWORKS`: comma-separated CIDRs; empty means none. */
export const parseCidrList = (value: string): ParsedCidr[] =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((cidr) => {
      try {
        return ipaddr.parseCIDR(cidr);
      } catch {
        throw new InvalidCidrError(`"${cidr}" is not a CIDR block such as 10.0.0.0/8 or fd00::/8`);
      }
    });

export type TargetRefusal =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'credentials_in_url'
  | 'address_not_allowed';

export type UrlCheck =
  | { ok: true; url: URL; hostname: string; literalAddress?: string }
  | { ok: false; reason: TargetRefusal; message: string };

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
/**
 * Only the well-known NAT64 prefix has one fixed place for the IPv4 address (the last 32 bits).
 * The local-use 64:ff9b:1::/48 may be configured with any prefix length, which moves the embedded
 * address, so it is not unwrapped and stays refused unless allowed.
 */
const WELL_KNOWN_NAT64 = ipaddr.parseCIDR('64:ff9b::/96');

const unwrapEmbeddedIPv4 = (address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 => {
  if (address.kind() === 'ipv4') return address;
  const v6 = address as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  const range = v6.range();
  const parts = v6.toByteArray();
  if ((range === 'rfc6052' && inNetwork(v6, WELL_KNOWN_NAT64)) || range === 'rfc6145') {
    return ipaddr.fromByteArray(parts.slice(12));
  }
  if (range === '6to4') return ipaddr.fromByteArray(parts.slice(2, 6));
  if (range === 'teredo') return ipaddr.fromByteArray(parts.slice(12).map((b) => b ^ 0xff));
  return v6;
};

const inNetwork = (address: ipaddr.IPv4 | ipaddr.IPv6, [network, bits]: ParsedCidr): boolean =>
  address.kind() === network.kind() && address.match(network, bits);

/** True when `address` is a public unicast address or inside an allowed network. */
export const isAddressAllowed = (address: string, policy: Pick<TargetPolicy, 'allowedNetworks'>): boolean => {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return false;
  }
  const candidates = [parsed, unwrapEmbeddedIPv4(parsed)];
  if (candidates.some((candidate) => policy.allowedNetworks.some((network) => inNetwork(candidate, network)))) {
    return true;
  }
  const effective = candidates[1]!;
  if (effective.kind() === 'ipv6') {
    return effective.range() === 'unicast' && inNetwork(effective, GLOBAL_UNICAST_V6);
  }
  return effective.range() === 'unicast';
};

const LOOPBACK = '127.0.0.1';

/** `localhost` and its subdomains, with or without the final dot, are loopback by definition (RFC 6761). */
const isLocalhostName = (hostname: string): boolean => {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
};

const literalAddressOf = (hostname: string): string | undefined => {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) && (bare.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(bare)) ? bare : undefined;
};

/**
 * Checks what can be checked without DNS. WHATWG URL parsing already normalises numeric host
 * spellings (`0x7f.1`, `2130706433`) to dotted quads, so those reach the address check here.
 */
export const checkTargetUrl = (raw: string, policy: TargetPolicy): UrlCheck => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'invalid_url', message: 'url must be an absolute http(s) URL' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    return {
      ok: false,
      reason: 'scheme_not_allowed',
      message: policy.allowHttp ? 'url must use https or http' : 'url must use https',
    };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'credentials_in_url', message: 'url must not contain credentials' };
  }
  if (url.hostname === '') return { ok: false, reason: 'invalid_url', message: 'url must have a host' };
  const literalAddress = literalAddressOf(url.hostname) ?? (isLocalhostName(url.hostname) ? LOOPBACK : undefined);
  if (literalAddress !== undefined && !isAddressAllowed(literalAddress, policy)) {
    return {
      ok: false,
      reason: 'address_not_allowed',
      message: `url points at ${literalAddress}, which is not a public address`,
    };
  }
  return literalAddress === undefined
    ? { ok: true, url, hostname: url.hostname }
    : { ok: true, url, hostname: url.hostname, literalAddress };
};
