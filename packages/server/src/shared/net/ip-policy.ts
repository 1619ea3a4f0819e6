import { cidrContains, formatIPv4, parseCidr, parseIp } from './ip-address.ts';
import type { Cidr, IpAddress } from './ip-address.ts';

export type { Cidr, IpAddress, IpVersion } from './ip-address.ts';
export { CidrParseError, parseCidr, parseCidrList, parseIp, parseIPv4, parseIPv6 } from './ip-address.ts';

/** Why an outbound address is refused. */
export type ForbiddenReason =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'unspecified'
  | 'metadata'
  | 'reserved'
  | 'broadcast'
  | 'benchmark'
  | 'documentation'
  | 'unique-local'
  | 'not-an-address';

export type AddressVerdict =
  | { readonly allowed: true; readonly address: IpAddress; readonly allowlisted: boolean }
  | {
      readonly allowed: false;
      readonly reason: ForbiddenReason;
      readonly address?: IpAddress;
      /** the IPv4 address an IPv6 one carries (IPv4-mapped, NAT64, 6to4), when that is what was refused */
      readonly embeddedIPv4?: string;
    };

const REASON_TEXT: Record<ForbiddenReason, string> = {
  loopback: 'a loopback address',
  private: 'a private-network address',
  'link-local': 'a link-local address',
  cgnat: 'a carrier-grade NAT (shared) address',
  multicast: 'a multicast address',
  unspecified: 'the unspecified address',
  metadata: 'a cloud metadata service address',
  reserved: 'a reserved address',
  broadcast: 'the broadcast address',
  benchmark: 'a benchmarking address',
  documentation: 'a documentation-only address',
  'unique-local': 'an IPv6 unique-local address',
  'not-an-address': 'not an IP address',
};

/** "a loopback address", for messages such as "the address 127.0.0.1 is a loopback address". */
export function describeReason(reason: ForbiddenReason): string {
  return REASON_TEXT[reason];
}

type Rule = readonly [Cidr, ForbiddenReason];

function rules(entries: ReadonlyArray<readonly [string, ForbiddenReason]>): Rule[] {
  return entries.map(([cidr, reason]) => [parseCidr(cidr), reason]);
}

// First match wins, so the specific entries (metadata, broadcast) come before the ranges that hold them.
// Sources: IANA IPv4/IPv6 Special-Purpose Address Registries, and the cloud providers' metadata endpoints.
const IPV4_RULES = rules([
  ['0.0.0.0/32', 'unspecified'],
  ['0.0.0.0/8', 'reserved'],
  ['255.255.255.255/32', 'broadcast'],
  ['169.254.169.254/32', 'metadata'], // AWS, GCP, Azure, OpenStack, DigitalOcean, …
  ['169.254.170.2/32', 'metadata'], // AWS ECS task metadata
  ['169.254.170.23/32', 'metadata'], // AWS EKS pod identity
  ['100.100.100.200/32', 'metadata'], // Alibaba Cloud
  ['192.0.0.192/32', 'metadata'], // Oracle Cloud (legacy)
  ['168.63.129.16/32', 'metadata'], // Azure WireServer: a public address, so name it explicitly
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'cgnat'],
  ['169.254.0.0/16', 'link-local'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['198.18.0.0/15', 'benchmark'],
  ['192.88.99.0/24', 'reserved'], // deprecated 6to4 relay anycast
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
]);

const IPV6_RULES = rules([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fd00:ec2::254/128', 'metadata'], // AWS IMDS over IPv6
  ['fd00:ec2::23/128', 'metadata'], // AWS EKS pod identity over IPv6
  ['64:ff9b:1::/48', 'private'], // local-use NAT64
  ['100::/64', 'reserved'], // discard-only
  ['2001:2::/48', 'benchmark'],
  ['2001:db8::/32', 'documentation'],
  ['2001::/23', 'reserved'], // IETF protocol assignments, Teredo, ORCHID
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'reserved'], // SRv6 SIDs
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'reserved'], // deprecated site-local
  ['ff00::/8', 'multicast'],
]);

const GLOBAL_UNICAST_V6 = parseCidr('2000::/3');
const IPV4_MAPPED = parseCidr('::ffff:0:0/96');
const IPV4_COMPATIBLE = parseCidr('::/96');
const NAT64 = parseCidr('64:ff9b::/96');
const SIX_TO_FOUR = parseCidr('2002::/16');

function ipv4(value: bigint): IpAddress {
  return { version: 4, value, text: formatIPv4(value) };
}

/** The IPv4 address inside an IPv6 one that carries it, and how. */
function embeddedIPv4(address: IpAddress): { kind: 'mapped' | 'compatible' | 'nat64' | '6to4'; v4: IpAddress } | undefined {
  if (address.version !== 6) return undefined;
  if (cidrContains(IPV4_MAPPED, address)) return { kind: 'mapped', v4: ipv4(address.value & 0xffffffffn) };
  if (cidrContains(NAT64, address)) return { kind: 'nat64', v4: ipv4(address.value & 0xffffffffn) };
  if (cidrContains(SIX_TO_FOUR, address)) return { kind: '6to4', v4: ipv4((address.value >> 80n) & 0xffffffffn) };
  // ::/96 minus :: and ::1, which the rules name
  if (cidrContains(IPV4_COMPATIBLE, address) && address.value > 1n) {
    return { kind: 'compatible', v4: ipv4(address.value & 0xffffffffn) };
  }
  return undefined;
}

function ruleFor(address: IpAddress): ForbiddenReason | undefined {
  const table = address.version === 4 ? IPV4_RULES : IPV6_RULES;
  for (const [cidr, reason] of table) {
    if (cidrContains(cidr, address)) return reason;
  }
  return undefined;
}

function isAllowlisted(address: IpAddress, allowedNetworks: readonly Cidr[]): boolean {
  if (allowedNetworks.some((cidr) => cidrContains(cidr, address))) return true;
  // a socket to ::ffff:a.b.c.d reaches a.b.c.d itself, so an IPv4 allowlist entry covers it
  const embedded = embeddedIPv4(address);
  return embedded?.kind === 'mapped' && allowedNetworks.some((cidr) => cidrContains(cidr, embedded.v4));
}

/**
 * May the server open a connection to this address? Refuses every address that is not public unicast
 * (loopback, RFC 1918, link-local, CGNAT, multicast, metadata services, documentation, reserved …), looking
 * through IPv6 forms that carry an IPv4 address. An operator allowlist (`allowedNetworks`) overrides the refusal.
 */
export function classifyAddress(ip: string | IpAddress, allowedNetworks: readonly Cidr[] = []): AddressVerdict {
  const address = typeof ip === 'string' ? parseIp(ip) : ip;
  if (address === undefined) return { allowed: false, reason: 'not-an-address' };
  if (isAllowlisted(address, allowedNetworks)) return { allowed: true, address, allowlisted: true };

  const own = ruleFor(address);
  if (own !== undefined) return { allowed: false, reason: own, address };

  const embedded = embeddedIPv4(address);
  if (embedded !== undefined) {
    const inner = ruleFor(embedded.v4);
    if (inner !== undefined) return { allowed: false, reason: inner, address, embeddedIPv4: embedded.v4.text };
    // the deprecated IPv4-compatible form has no legitimate use as a destination
    if (embedded.kind === 'compatible') return { allowed: false, reason: 'reserved', address };
    return { allowed: true, address, allowlisted: false };
  }
  if (address.version === 6 && !cidrContains(GLOBAL_UNICAST_V6, address)) {
    return { allowed: false, reason: 'reserved', address };
  }
  return { allowed: true, address, allowlisted: false };
}
