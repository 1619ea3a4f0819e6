import { describe, expect, it } from 'vitest';
import { classifyAddress, describeReason, parseCidrList } from './ip-policy.ts';

function reasonOf(ip: string, allowed = ''): string | undefined {
  const verdict = classifyAddress(ip, parseCidrList(allowed));
  return verdict.allowed ? undefined : verdict.reason;
}

describe('classifyAddress', () => {
  it('allows public unicast addresses of both families', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '93.184.215.14', '2606:4700:4700::1111', '2a00:1450:4001::200e']) {
      expect(classifyAddress(ip), ip).toMatchObject({ allowed: true, allowlisted: false });
    }
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['0.1.2.3', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['198.18.0.1', 'benchmark'],
    ['2001:2::1', 'benchmark'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['2001::1', 'reserved'],
    ['100::1', 'reserved'],
  ])('refuses %s as %s', (ip, reason) => {
    expect(reasonOf(ip)).toBe(reason);
  });

  it('does not refuse the neighbours of the private ranges', () => {
    for (const ip of ['172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1', '11.0.0.1', '223.255.255.255']) {
      expect(reasonOf(ip), ip).toBeUndefined();
    }
  });

  it('looks through IPv4-mapped IPv6 in both notations', () => {
    expect(classifyAddress('::ffff:127.0.0.1')).toMatchObject({ allowed: false, reason: 'loopback', embeddedIPv4: '127.0.0.1' });
    expect(reasonOf('::ffff:7f00:1')).toBe('loopback');
    expect(reasonOf('::ffff:a9fe:a9fe')).toBe('metadata');
    expect(reasonOf('::ffff:8.8.8.8')).toBeUndefined();
  });

  it('looks through NAT64 and 6to4 addresses', () => {
    expect(reasonOf('64:ff9b::10.0.0.1')).toBe('private');
    expect(reasonOf('64:ff9b::a9fe:a9fe')).toBe('metadata');
    expect(reasonOf('64:ff9b::8.8.8.8')).toBeUndefined();
    expect(reasonOf('2002:7f00:1::1')).toBe('loopback');
    expect(reasonOf('2002:c0a8:101::')).toBe('private');
    expect(reasonOf('2002:808:808::1')).toBeUndefined();
    expect(reasonOf('64:ff9b:1::1')).toBe('private');
  });

  it('refuses the deprecated IPv4-compatible form even around a public address', () => {
    expect(reasonOf('::127.0.0.1')).toBe('loopback');
    expect(reasonOf('::8.8.8.8')).toBe('reserved');
  });

  it('refuses IPv6 space outside global unicast', () => {
    expect(reasonOf('4000::1')).toBe('reserved');
    expect(reasonOf('::ffff:0:7f00:1')).toBe('reserved');
  });

  it('refuses text that is not an address', () => {
    expect(reasonOf('example.com')).toBe('not-an-address');
    expect(reasonOf('2130706433')).toBe('not-an-address');
  });

  it('lets the operator allowlist open a refused address, and only that', () => {
    const allowed = '127.0.0.1/32,10.20.0.0/16,fd00::/8';
    expect(classifyAddress('127.0.0.1', parseCidrList(allowed))).toMatchObject({ allowed: true, allowlisted: true });
    expect(reasonOf('127.0.0.2', allowed)).toBe('loopback');
    expect(reasonOf('10.20.3.4', allowed)).toBeUndefined();
    expect(reasonOf('10.21.3.4', allowed)).toBe('private');
    expect(reasonOf('fd00:ec2::254', allowed)).toBeUndefined();
    expect(reasonOf('169.254.169.254', allowed)).toBe('metadata');
  });

  it('applies an IPv4 allowlist entry to the IPv4-mapped form of the same address', () => {
    expect(reasonOf('::ffff:127.0.0.1', '127.0.0.0/8')).toBeUndefined();
    expect(reasonOf('64:ff9b::127.0.0.1', '127.0.0.0/8')).toBe('loopback');
  });

  it('describes each reason for a sentence', () => {
    expect(describeReason('loopback')).toBe('a loopback address');
    expect(describeReason('metadata')).toBe('a cloud metadata service address');
  });
});
