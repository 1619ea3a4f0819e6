import { randomInt } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { SimState } from '../state/store.ts';

export interface HandshakeResult {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * The subscription handshake Meta runs when a callback URL is saved in the dashboard (§3.1):
 * `GET <callback>?hub.mode=subscribe&hub.challenge=<n>&hub.verify_token=<token>`, expecting 200 and the raw challenge.
 */
export async function verifyCallback(
  deps: { state: SimState; clock: Clock; timeoutMs: number },
  appId: string,
  callbackUrl: string,
  verifyToken: string,
): Promise<HandshakeResult> {
  const challenge = String(randomInt(1_000_000_000, 2_000_000_000));
  const url = new URL(callbackUrl);
  url.searchParams.set('hub.mode', 'subscribe');
  url.searchParams.set('hub.challenge', challenge);
  url.searchParams.set('hub.verify_token', verifyToken);
  let result: HandshakeResult;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(deps.timeoutMs) });
    const text = (await response.text()).trim();
    if (response.status !== 200) result = { ok: false, status: response.status, error: `callback answered ${response.status}` };
    else if (text !== challenge) result = { ok: false, status: 200, error: 'callback did not echo hub.challenge' };
    else result = { ok: true, status: 200, error: null };
  } catch (cause) {
    result = { ok: false, status: null, error: cause instanceof Error ? cause.message : 'request failed' };
  }
  deps.state.data.attempts.push({
    deliveryId: `verification:${appId}`,
    attempt: 1,
    kind: 'verification',
    at: deps.clock.now(),
    url: callbackUrl,
    status: result.status,
    ok: result.ok,
    error: result.error,
    body: '',
    signature: null,
  });
  return result;
}
