import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { classifyAddress, describeReason, parseIp } from './ip-policy.ts';
import type { AddressVerdict, Cidr, IpAddress } from './ip-policy.ts';
import { OutboundError } from './outbound-errors.ts';

/**
 * The part of `dns.lookup`'s signature this module uses (`dns.lookup` itself fits). Injectable so tests can
 * play a resolver that answers 127.0.0.1, or a different address on each call.
 */
export type LookupAllFunction = (
  hostname: string,
  options: { all: true },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export type OutboundUrlPolicy = {
  /** plain http is for development and tests; production destinations use https */
  readonly allowHttp: boolean;
  readonly allowedNetworks: readonly Cidr[];
  /** the setting an operator changes to open a refused network, named in messages */
  readonly allowlistSetting?: string;
};

export type OutboundUrlCheck = { readonly ok: true; readonly url: URL } | { readonly ok: false; readonly error: OutboundError };

export const MAX_URL_LENGTH = 2048;
export const DEFAULT_ALLOWLIST_SETTING = 'CRM_ALLOWED_NETWORKS';

/** URL hosts keep IPv6 literals in brackets; the address itself is inside. */
export function unbracket(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * "the address 10.0.0.1 is a private-network address; set CRM_ALLOWED_NETWORKS to allow it" for an address the caller
 * gave; for a host name, "crm.example resolves to a private address; …": which address (and what kind) a name resolves to
 * inside the network is not the caller's to learn, so it goes to the log only (`logDetails`).
 */
export function forbiddenAddressError(verdict: AddressVerdict & { allowed: false }, setting: string, host?: string): OutboundError {
  const address = verdict.address?.text ?? 'the address';
  const carried = verdict.embeddedIPv4 === undefined ? '' : ` (carrying ${verdict.embeddedIPv4})`;
  const what = describeReason(verdict.reason);
  if (host === undefined) return new OutboundError('crm.url_forbidden_address', `the address ${address}${carried} is ${what}; set ${setting} to allow it`);
  return new OutboundError('crm.url_forbidden_address', `${host} resolves to a private address; set ${setting} to allow it`, {
    logDetails: { host, resolvedAddress: `${address}${carried}`, reason: what },
  });
}

/**
 * Everything that can be known about a destination without the network: a parseable absolute URL, https
 * (or http when allowed), no user:password part, and, when the host is an IP literal, an allowed address.
 * Legacy IPv4 spellings (`http://2130706433/`, `http://0177.0.0.1/`, `http://0x7f.1/`) are rewritten to
 * `127.0.0.1` by the WHATWG URL parser before the check, so they are refused like the plain form.
 * A host name is accepted here; `resolveAndCheck` (or the safe HTTP client, at connect time) checks what
 * it resolves to.
 */
export function checkOutboundUrl(input: string, policy: OutboundUrlPolicy): OutboundUrlCheck {
  const setting = policy.allowlistSetting ?? DEFAULT_ALLOWLIST_SETTING;
  const fail = (error: OutboundError): OutboundUrlCheck => ({ ok: false, error });
  if (input.length > MAX_URL_LENGTH) {
    return fail(new OutboundError('crm.url_invalid', `the URL is longer than ${MAX_URL_LENGTH} characters`));
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return fail(new OutboundError('crm.url_invalid', 'the URL is not a valid absolute URL'));
  }
  const schemes = policy.allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    const allowed = policy.allowHttp ? 'https or http' : 'https';
    return fail(new OutboundError('crm.url_scheme', `the URL scheme must be ${allowed}, not ${url.protocol.slice(0, -1)}`));
  }
  if (url.username !== '' || url.password !== '') {
    return fail(new OutboundError('crm.url_credentials', 'the URL must not contain a user name or password'));
  }
  if (url.hostname === '') {
    return fail(new OutboundError('crm.url_invalid', 'the URL has no host'));
  }
  const literal = parseIp(unbracket(url.hostname));
  if (literal !== undefined) {
    const verdict = classifyAddress(literal, policy.allowedNetworks);
    if (!verdict.allowed) return fail(forbiddenAddressError(verdict, setting));
  }
  return { ok: true, url };
}

export type ResolveOptions = {
  readonly allowedNetworks: readonly Cidr[];
  readonly lookup?: LookupAllFunction;
  readonly allowlistSetting?: string;
};

function lookupAll(lookup: LookupAllFunction, hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    lookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });
}

/**
 * Resolves every A and AAAA record of `hostname` (one lookup) and refuses when ANY answer is forbidden: a
 * name that mixes a public and a private address is a rebinding attempt or a misconfiguration either way.
 * An IP literal is checked without a lookup. Returns the checked addresses, for the caller to connect to.
 */
export async function resolveAndCheck(hostname: string, options: ResolveOptions): Promise<IpAddress[]> {
  const setting = options.allowlistSetting ?? DEFAULT_ALLOWLIST_SETTING;
  const host = unbracket(hostname);
  const literal = parseIp(host);
  if (literal !== undefined) {
    const verdict = classifyAddress(literal, options.allowedNetworks);
    if (!verdict.allowed) throw forbiddenAddressError(verdict, setting);
    return [literal];
  }

  let answers: LookupAddress[];
  try {
    answers = await lookupAll(options.lookup ?? dnsLookup, host);
  } catch (error) {
    const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? ` (${error.code})` : '';
    throw new OutboundError('crm.url_unresolvable', `the host ${host} could not be resolved${code}`, { cause: error });
  }
  if (answers.length === 0) {
    throw new OutboundError('crm.url_unresolvable', `the host ${host} has no address`);
  }
  const checked: IpAddress[] = [];
  for (const answer of answers) {
    const verdict = classifyAddress(answer.address, options.allowedNetworks);
    if (!verdict.allowed) throw forbiddenAddressError(verdict, setting, host);
    checked.push(verdict.address);
  }
  return checked;
}
