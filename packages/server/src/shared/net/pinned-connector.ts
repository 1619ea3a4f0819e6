import type { LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import { classifyAddress, parseIp } from './ip-policy.ts';
import type { Cidr } from './ip-policy.ts';
import { OutboundError } from './outbound-errors.ts';
import { DEFAULT_ALLOWLIST_SETTING, forbiddenAddressError, resolveAndCheck, unbracket } from './url-policy.ts';
import type { LookupAllFunction } from './url-policy.ts';

export type PinnedConnectorOptions = {
  readonly allowedNetworks: readonly Cidr[];
  readonly connectTimeoutMs: number;
  readonly lookup?: LookupAllFunction;
  readonly allowlistSetting?: string;
};

/**
 * The `lookup` handed to net/tls.connect. Node calls it exactly once per connection and connects to what it
 * returns, so the addresses it returns are the ones that were checked: a rebinding resolver gets no second
 * question between the check and the connect. TLS still verifies the certificate against the host name.
 */
export function createCheckedLookup(options: Omit<PinnedConnectorOptions, 'connectTimeoutMs'>): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    resolveAndCheck(hostname, options).then(
      (addresses) => {
        const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : undefined;
        const usable = family === undefined ? addresses : addresses.filter((a) => a.version === family);
        const first = usable[0];
        if (first === undefined) {
          callback(new OutboundError('crm.url_unresolvable', `the host ${hostname} has no IPv${family ?? ''} address`), '');
        } else if (lookupOptions.all === true) {
          callback(null, usable.map((a) => ({ address: a.text, family: a.version })));
        } else {
          callback(null, first.text, first.version);
        }
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), ''),
    );
  };
}

/**
 * An undici connector that only ever opens sockets to allowed addresses: an IP-literal host is classified
 * here (Node skips `lookup` for literals), a host name goes through `createCheckedLookup`.
 */
export function createPinnedConnector(options: PinnedConnectorOptions): buildConnector.connector {
  const setting = options.allowlistSetting ?? DEFAULT_ALLOWLIST_SETTING;
  const connect = buildConnector({
    timeout: options.connectTimeoutMs,
    lookup: createCheckedLookup(options),
    allowH2: false,
  });
  return (connectOptions, callback) => {
    const literal = parseIp(unbracket(connectOptions.hostname));
    if (literal !== undefined) {
      const verdict = classifyAddress(literal, options.allowedNetworks);
      if (!verdict.allowed) {
        callback(forbiddenAddressError(verdict, setting), null);
        return;
      }
    }
    connect(connectOptions, callback);
  };
}
