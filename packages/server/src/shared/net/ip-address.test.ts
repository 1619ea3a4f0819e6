import { describe, expect, it } from 'vitest';
import { CidrParseError, cidrContains, clientAddressKey, parseCidr, parseCidrList, parseIp, parseIPv4, parseIPv6 } from './ip-address.ts';

function ip(text: string) {
  const parsed = parseIp(text);
  if (parsed === undefined) throw new Error(`test address ${text} did not parse`);
  return parsed;
}

describe('parseIPv4', () => {
  it('reads dotted-quad decimal', () => {
    expect(parseIPv4('127.0.0.1')?.value).toBe(0x7f000001n);
    expect(parseIPv4('255.255.255.255')?.value).toBe(0xffffffffn);
  });

  it('refuses the legacy forms instead of guessing what they mean', () => {
    for (const text of ['2130706433', '0177.0.0.1', '0x7f.0.0.1', '127.1', '127.0.0.01', '1.2.3.256', '1.2.3.4.', '']) {
      expect(parseIPv4(text), text).toBeUndefined();
    }
  });
});

describe('parseIPv6', () => {
  it('reads full, compressed and bracketed forms to the same value', () => {
    const loopback = 1n;
    expect(parseIPv6('::1')?.value).toBe(loopback);
    expect(parseIPv6('[::1]')?.value).toBe(loopback);
    expect(parseIPv6('0:0:0:0:0:0:0:1')?.value).toBe(loopback);
    expect(parseIPv6('::')?.value).toBe(0n);
    expect(parseIPv6('fe80::1%eth0')?.text).toBe('fe80::1');
  });

  it('reads an IPv4 tail the same as its hex groups', () => {
    expect(parseIPv6('::ffff:127.0.0.1')?.value).toBe(parseIPv6('::ffff:7f00:1')?.value);
    expect(parseIPv6('::ffff:127.0.0.1')?.text).toBe('::ffff:7f00:1');
    expect(parseIPv6('64:ff9b::10.0.0.1')?.text).toBe('64:ff9b::a00:1');
  });

  it('writes the RFC 5952 canonical form', () => {
    expect(parseIPv6('2001:DB8:0:0:1:0:0:1')?.text).toBe('2001:db8::1:0:0:1');
    expect(parseIPv6('fd00:ec2:0:0:0:0:0:254')?.text).toBe('fd00:ec2::254');
    expect(parseIPv6('1:0:2:3:4:5:6:7')?.text).toBe('1:0:2:3:4:5:6:7');
  });

  it('refuses malformed text', () => {
    const bad = ['1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', ':1::', '1.2.3.4::', '::1.2.3.4:5', 'g::1', 'example.com'];
    for (const text of bad) expect(parseIPv6(text), text).toBeUndefined();
  });
});

describe('parseCidr and parseCidrList', () => {
  it('parses a mixed list, with spaces and a trailing comma', () => {
    const list = parseCidrList(' 10.0.0.0/8, 127.0.0.1/32 ,fd00::/8,');
    expect(list.map((c) => c.text)).toEqual(['10.0.0.0/8', '127.0.0.1/32', 'fd00::/8']);
  });

  it('takes a bare address as a single-host network', () => {
    expect(parseCidr('192.168.1.10').text).toBe('192.168.1.10/32');
    expect(parseCidr('::1').text).toBe('::1/128');
  });

  it('names the bad item in the error', () => {
    expect(() => parseCidrList('10.0.0.0/8,10.0.0.300/32')).toThrow(/"10\.0\.0\.300\/32"/);
    expect(() => parseCidrList('10.0.0.0/33')).toThrow(/prefix length must be a whole number from 0 to 32/);
    expect(() => parseCidrList('fd00::/129')).toThrow(/from 0 to 128/);
    expect(() => parseCidrList('intranet')).toThrow(CidrParseError);
  });

  it('refuses a network with host bits set and suggests the network address', () => {
    expect(() => parseCidr('10.0.0.1/8')).toThrow('did you mean 10.0.0.0/8?');
  });

  it('matches addresses inside the network and of the same family only', () => {
    const net = parseCidr('10.0.0.0/8');
    expect(cidrContains(net, ip('10.255.0.1'))).toBe(true);
    expect(cidrContains(net, ip('11.0.0.1'))).toBe(false);
    expect(cidrContains(net, ip('::a00:1'))).toBe(false);
    expect(cidrContains(parseCidr('0.0.0.0/0'), ip('8.8.8.8'))).toBe(true);
    expect(cidrContains(parseCidr('fd00::/8'), ip('fd12:3456::1'))).toBe(true);
  });
});

describe('clientAddressKey (what per-address limits count by)', () => {
  it('keys an IPv4 address on itself, also when it arrives IPv4-mapped', () => {
    expect(clientAddressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(clientAddressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
  });

  it('keys every IPv6 address of one /64 alike, and another /64 apart', () => {
    const a = clientAddressKey('2001:db8:1:2:aaaa::1');
    expect(a).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe(a);
    expect(clientAddressKey('2001:db8:1:3::1')).not.toBe(a);
  });

  it('keeps text that is no address as it is', () => {
    expect(clientAddressKey('unix-socket')).toBe('unix-socket');
  });
});
