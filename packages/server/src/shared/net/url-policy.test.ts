import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { parseCidrList } from './ip-policy.ts';
import { OutboundError } from './outbound-errors.ts';
import { checkOutboundUrl, resolveAndCheck } from './url-policy.ts';
import type { LookupAllFunction, OutboundUrlPolicy } from './url-policy.ts';

const strict: OutboundUrlPolicy = { allowHttp: false, allowedNetworks: [] };
const dev: OutboundUrlPolicy = { allowHttp: true, allowedNetworks: [] };

function errorCode(url: string, policy = dev): string | undefined {
  const result = checkOutboundUrl(url, policy);
  return result.ok ? undefined : result.error.code;
}

function errorMessage(url: string, policy = dev): string | undefined {
  const result = checkOutboundUrl(url, policy);
  return result.ok ? undefined : result.error.message;
}

function fakeLookup(answers: string[]): LookupAllFunction & { calls: string[] } {
  const calls: string[] = [];
  const lookup = (hostname: string, _options: { all: true }, callback: (e: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) => {
    calls.push(hostname);
    callback(null, answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return Object.assign(lookup, { calls });
}

describe('WHATWG URL parsing of hostile IPv4 spellings', () => {
  it.each([
    ['http://2130706433/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://127.0.0.1./', '127.0.0.1'],
    ['http://0xA9FEA9FE/', '169.254.169.254'],
    ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['http://[0:0:0:0:0:0:0:1]/', '[::1]'],
  ])('normalises %s to %s before our checks see it', (input, hostname) => {
    expect(new URL(input).hostname).toBe(hostname);
  });
});

describe('checkOutboundUrl', () => {
  it('accepts an https URL with a host name and keeps path and query', () => {
    const result = checkOutboundUrl('https://crm.example.com/hooks/threadline?token=abc', strict);
    expect(result.ok && result.url.href).toBe('https://crm.example.com/hooks/threadline?token=abc');
  });

  it('accepts a public IP literal', () => {
    expect(errorCode('https://93.184.215.14/hook', strict)).toBeUndefined();
  });

  it('refuses text that is not an absolute URL', () => {
    expect(errorCode('crm.example.com/hook')).toBe('crm.url_invalid');
    expect(errorCode('http://1.2.3.256/')).toBe('crm.url_invalid');
    expect(errorCode(`https://crm.example.com/${'a'.repeat(2100)}`)).toBe('crm.url_invalid');
  });

  it('refuses http unless allowed, and every other scheme always', () => {
    expect(errorCode('http://crm.example.com/', strict)).toBe('crm.url_scheme');
    expect(errorMessage('http://crm.example.com/', strict)).toBe('the URL scheme must be https, not http');
    expect(errorCode('http://crm.example.com/', dev)).toBeUndefined();
    for (const url of ['file:///etc/passwd', 'gopher://crm.example.com/', 'ftp://crm.example.com/', 'data:text/plain,x']) {
      expect(errorCode(url), url).toBe('crm.url_scheme');
    }
  });

  it('refuses credentials in the URL', () => {
    expect(errorCode('https://user:pass@crm.example.com/')).toBe('crm.url_credentials');
    expect(errorCode('https://user@crm.example.com/')).toBe('crm.url_credentials');
  });

  it.each([
    'http://127.0.0.1/',
    'http://10.0.0.1/',
    'http://192.168.1.1:8080/',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.100.100.200/',
    'http://[fd00:ec2::254]/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://0.0.0.0/',
    'http://[::]/',
  ])('refuses the literal private, loopback or metadata address in %s', (url) => {
    expect(errorCode(url)).toBe('crm.url_forbidden_address');
  });

  it.each(['http://2130706433/', 'http://0177.0.0.1/', 'http://0x7f.1/', 'http://127.1/', 'http://0xA9FEA9FE/', 'http://012.0.0.1/'])(
    'refuses the decimal, octal, hex or short spelling %s',
    (url) => {
      expect(errorCode(url)).toBe('crm.url_forbidden_address');
    },
  );

  it('explains the refusal and names the setting that opens it', () => {
    expect(errorMessage('http://127.0.0.1:9000/hook')).toBe(
      'the address 127.0.0.1 is a loopback address; set CRM_ALLOWED_NETWORKS to allow it',
    );
    expect(errorMessage('http://[::ffff:169.254.169.254]/')).toBe(
      'the address ::ffff:a9fe:a9fe (carrying 169.254.169.254) is a cloud metadata service address; set CRM_ALLOWED_NETWORKS to allow it',
    );
    expect(errorMessage('http://10.0.0.1/', { ...dev, allowlistSetting: 'OUTBOUND_ALLOW' })).toMatch(/set OUTBOUND_ALLOW/);
  });

  it('lets the allowlist open a literal address', () => {
    expect(errorCode('http://127.0.0.1:9000/', { allowHttp: true, allowedNetworks: parseCidrList('127.0.0.1/32') })).toBeUndefined();
  });

  it('never puts the path or query of the URL in a message', () => {
    const message = errorMessage('http://127.0.0.1/hook?token=s3cret-token');
    expect(message).not.toContain('s3cret');
  });
});

describe('resolveAndCheck', () => {
  it('returns every address of a host that resolves to public addresses', async () => {
    const lookup = fakeLookup(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']);
    const addresses = await resolveAndCheck('crm.example.com', { allowedNetworks: [], lookup });
    expect(addresses.map((a) => a.text)).toEqual(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']);
    expect(lookup.calls).toEqual(['crm.example.com']);
  });

  it('refuses a host name that resolves to 127.0.0.1', async () => {
    const lookup = fakeLookup(['127.0.0.1']);
    await expect(resolveAndCheck('innocent.example.com', { allowedNetworks: [], lookup })).rejects.toMatchObject({
      code: 'crm.url_forbidden_address',
      message: 'innocent.example.com resolves to a private address; set CRM_ALLOWED_NETWORKS to allow it',
    });
  });

  it('refuses when any one of several answers is forbidden', async () => {
    const lookup = fakeLookup(['93.184.215.14', '10.0.0.7']);
    await expect(resolveAndCheck('mixed.example.com', { allowedNetworks: [], lookup })).rejects.toMatchObject({
      message: 'mixed.example.com resolves to a private address; set CRM_ALLOWED_NETWORKS to allow it',
      logDetails: { host: 'mixed.example.com', resolvedAddress: '10.0.0.7' },
    });
  });

  it('checks an IP literal without asking the resolver', async () => {
    const lookup = fakeLookup(['93.184.215.14']);
    await expect(resolveAndCheck('[::1]', { allowedNetworks: [], lookup })).rejects.toBeInstanceOf(OutboundError);
    expect(lookup.calls).toEqual([]);
  });

  it('reports a name that does not resolve', async () => {
    const lookup: LookupAllFunction = (_host, _options, callback) => {
      callback(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), []);
    };
    await expect(resolveAndCheck('nowhere.invalid', { allowedNetworks: [], lookup })).rejects.toMatchObject({
      code: 'crm.url_unresolvable',
      message: 'the host nowhere.invalid could not be resolved (ENOTFOUND)',
    });
    await expect(resolveAndCheck('empty.example', { allowedNetworks: [], lookup: fakeLookup([]) })).rejects.toMatchObject({
      code: 'crm.url_unresolvable',
    });
  });

  it('accepts a private answer that the allowlist contains', async () => {
    const lookup = fakeLookup(['10.20.0.5']);
    const addresses = await resolveAndCheck('crm.internal', { allowedNetworks: parseCidrList('10.20.0.0/16'), lookup });
    expect(addresses.map((a) => a.text)).toEqual(['10.20.0.5']);
  });
});
