/**
 * IP address and CIDR parsing, kept strict on purpose.
 *
 * Only canonical textual forms are accepted: dotted-quad decimal IPv4 and RFC 4291 IPv6 (with an optional
 * dotted IPv4 tail and an optional zone id). The legacy forms a hostile URL may use (`2130706433`, `0177.0.0.1`,
 * `0x7f.1`, `127.1`) never reach this parser from a URL: WHATWG URL parsing rewrites them to dotted-quad
 * decimal first (see url-policy.ts and its tests). Anything else is "not an IP address" and is treated as a
 * hostname, which is then resolved and the resolved addresses checked.
 *
 * Written here rather than taken from a library: node's net.BlockList answers "inside or not" but cannot
 * say which range matched (the reason we report) nor look inside IPv4-mapped/NAT64/6to4 addresses, and no
 * IP library is a dependency of the server. The parser is small and its tests pin the edge cases.
 */

export type IpVersion = 4 | 6;

/** A parsed address: the integer value (32 or 128 bits) and its family. */
export type IpAddress = {
  readonly version: IpVersion;
  readonly value: bigint;
  /** canonical text, for messages */
  readonly text: string;
};

/** A network: the address with its host bits cleared, and the prefix length. */
export type Cidr = {
  readonly version: IpVersion;
  readonly network: bigint;
  readonly prefix: number;
  readonly text: string;
};

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

export function bitsOf(version: IpVersion): number {
  return version === 4 ? 32 : 128;
}

/** Strict dotted-quad decimal (no leading zeros, which some parsers read as octal). */
export function parseIPv4(text: string): IpAddress | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!IPV4_PART.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return { version: 4, value, text: formatIPv4(value) };
}

/** RFC 4291 text forms; brackets (as in URL hosts) and a zone id (`fe80::1%eth0`) are tolerated. */
export function parseIPv6(input: string): IpAddress | undefined {
  let text = input;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  if (!text.includes(':')) return undefined;

  // a dotted IPv4 tail (`::ffff:127.0.0.1`) becomes its two hex groups; a dot anywhere else fails below
  const lastColon = text.lastIndexOf(':');
  const lastPart = text.slice(lastColon + 1);
  if (lastPart.includes('.')) {
    const v4 = parseIPv4(lastPart);
    if (v4 === undefined) return undefined;
    const high = Number(v4.value >> 16n).toString(16);
    const low = Number(v4.value & 0xffffn).toString(16);
    text = `${text.slice(0, lastColon + 1)}${high}:${low}`;
  }

  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0] ?? '');
  const tail = groupsOf(halves[1] ?? '');
  if (head === undefined || tail === undefined) return undefined;
  const compressed = halves.length === 2;
  const present = head.length + tail.length;
  if (compressed ? present > 7 : present !== 8) return undefined;
  const words = [...head, ...new Array<number>(8 - present).fill(0), ...tail];
  let value = 0n;
  for (const word of words) value = (value << 16n) | BigInt(word);
  return { version: 6, value, text: formatIPv6(value) };
}

function groupsOf(part: string): number[] | undefined {
  if (part === '') return [];
  const words: number[] = [];
  for (const group of part.split(':')) {
    if (!IPV6_GROUP.test(group)) return undefined;
    words.push(Number.parseInt(group, 16));
  }
  return words;
}

/** Either family; undefined when the text is not an IP address literal. */
export function parseIp(text: string): IpAddress | undefined {
  return parseIPv4(text) ?? parseIPv6(text);
}

export function formatIPv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** RFC 5952 form: lower case, longest run (≥ 2) of zero groups compressed. */
export function formatIPv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export class CidrParseError extends Error {
  readonly item: string;
  constructor(item: string, reason: string) {
    super(`invalid network "${item}": ${reason}`);
    this.name = 'CidrParseError';
    this.item = item;
  }
}

/** `10.0.0.0/8`, `fd00::/8`, or a bare address (a /32 or /128). Host bits must be zero. */
export function parseCidr(item: string): Cidr {
  const text = item.trim();
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const address = parseIp(addressText);
  if (address === undefined) {
    throw new CidrParseError(item, `"${addressText}" is not an IPv4 or IPv6 address`);
  }
  const bits = bitsOf(address.version);
  let prefix = bits;
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
      throw new CidrParseError(item, `the prefix length must be a whole number from 0 to ${bits}`);
    }
    prefix = Number(prefixText);
  }
  const network = maskOf(address.version, prefix) & address.value;
  const canonical = address.version === 4 ? formatIPv4(network) : formatIPv6(network);
  if (network !== address.value) {
    throw new CidrParseError(item, `host bits are set; did you mean ${canonical}/${prefix}?`);
  }
  return { version: address.version, network, prefix, text: `${canonical}/${prefix}` };
}

/** A comma-separated list (spaces allowed, empty items ignored), as operators write it in settings. */
export function parseCidrList(list: string): Cidr[] {
  return list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => parseCidr(item));
}

function maskOf(version: IpVersion, prefix: number): bigint {
  const bits = BigInt(bitsOf(version));
  const all = (1n << bits) - 1n;
  return all ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  if (cidr.version !== address.version) return false;
  return (address.value & maskOf(cidr.version, cidr.prefix)) === cidr.network;
}

const IPV4_MAPPED_PREFIX = 0xffffn << 32n;
const LOW_64_BITS = (1n << 64n) - 1n;

/**
 * The key under which per-address limits count a client: an IPv4 address as it is (also when it arrives
 * IPv4-mapped, `::ffff:203.0.113.9`), an IPv6 address by its /64, since one subscriber usually holds a whole /64
 * and could otherwise take a fresh address for every attempt. Text that is no address is used as it is.
 */
export function clientAddressKey(ip: string): string {
  const v4 = parseIPv4(ip);
  if (v4) return v4.text;
  const v6 = parseIPv6(ip);
  if (!v6) return ip;
  if (v6.value >> 32n === IPV4_MAPPED_PREFIX >> 32n) return formatIPv4(v6.value & 0xffff_ffffn);
  return `${formatIPv6(v6.value & ~LOW_64_BITS)}/64`;
}
