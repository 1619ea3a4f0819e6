import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { RequestSent } from './graph-errors.ts';

/**
 * Knows whether a request reached the wire. A send that timed out or lost its connection is safe to retry only if
 * Meta never received it; fetch cannot say, but the undici inside Node's fetch publishes each request's progress
 * on diagnostics channels. A call runs inside an AsyncLocalStorage scope; `undici:request:create` fires in that
 * scope and links undici's request object to the call; `undici:request:bodySent` then marks it written.
 */

interface WireState {
  created: boolean;
  bodySent: boolean;
}

const scope = new AsyncLocalStorage<WireState>();
const byRequest = new WeakMap<object, WireState>();

function requestOf(message: unknown): object | null {
  if (typeof message !== 'object' || message === null || !('request' in message)) return null;
  const { request } = message;
  return typeof request === 'object' && request !== null ? request : null;
}

diagnosticsChannel.subscribe('undici:request:create', (message) => {
  const state = scope.getStore();
  const request = requestOf(message);
  if (!state || !request) return;
  state.created = true;
  byRequest.set(request, state);
});

diagnosticsChannel.subscribe('undici:request:bodySent', (message) => {
  const request = requestOf(message);
  const state = request ? byRequest.get(request) : undefined;
  if (state) state.bodySent = true;
});

export interface WireTracker {
  /** Runs `fn` so that requests it starts are tracked. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * `yes` once the whole request was written; `no` while undici holds it unsent (connecting, TLS handshake);
   * when undici never saw it: `no` for Node's own fetch (nothing was dispatched), `unknown` for another fetch.
   */
  sent(): RequestSent;
}

export function trackWire(usesNodeFetch: boolean): WireTracker {
  const state: WireState = { created: false, bodySent: false };
  return {
    run: (fn) => scope.run(state, fn),
    sent() {
      if (state.bodySent) return 'yes';
      if (state.created || usesNodeFetch) return 'no';
      return 'unknown';
    },
  };
}

/** Errors whose cause proves the connection never opened, so nothing was sent whichever fetch was used. */
const NOT_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function neverConnected(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    if ('code' in current && typeof current.code === 'string' && NOT_CONNECTED_CODES.has(current.code)) return true;
    current = 'cause' in current ? current.cause : undefined;
  }
  return false;
}
