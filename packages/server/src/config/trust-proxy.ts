import { parseCidr } from '../shared/net/ip-address.ts';

/**
 * Which proxies' `X-Forwarded-*` headers are believed: none (`false`), the nearest N hops, or the given proxy
 * addresses and networks (Fastify hands both to proxy-addr). `true` is refused: it trusts every hop, so any client
 * could pick its own address (and escape per-address limits) by sending `X-Forwarded-For` itself.
 */
export type TrustProxy = false | number | string[];

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

export function parseTrustProxy(raw: string | undefined): { value: TrustProxy } | { problem: string } {
  const text = (raw ?? '').trim();
  if (['', 'false', '0', 'no'].includes(text.toLowerCase())) return { value: false };
  if (['true', 'yes', 'all', '*'].includes(text.toLowerCase())) {
    return {
      problem:
        `"${text}" would trust every hop, so any client could choose its own address with X-Forwarded-For; ` +
        'give the number of proxies in front of Threadline (1 behind one nginx) or their addresses (127.0.0.1, 10.0.0.0/8)',
    };
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    return hops >= 1 && hops <= 10 ? { value: hops } : { problem: `a hop count must be from 1 to 10, got ${text}` };
  }
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const bad: string[] = [];
  for (const entry of entries) {
    if (NAMED_RANGES.has(entry)) continue;
    try {
      parseCidr(entry);
    } catch {
      bad.push(entry);
    }
  }
  if (bad.length > 0) {
    return { problem: `not a hop count, an address, a network or loopback/linklocal/uniquelocal: ${bad.map((b) => `"${b}"`).join(', ')}` };
  }
  return { value: entries };
}
