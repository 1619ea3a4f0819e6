import { randomBytes } from 'node:crypto';
import { signMetaBody } from '../src/instagram/webhook-signature.ts';
import type { Threadline } from '../src/app.ts';

export const APP_SECRET = 'test-instagram-app-secret';
export const VERIFY_TOKEN = 'test-verify-token';
export const META_ENV = { INSTAGRAM_OAUTH_CLIENT_SECRET: APP_SECRET, INSTAGRAM_VERIFY_TOKEN: VERIFY_TOKEN, WORKERS_ENABLED: 'false' };

let seq = 0;
export const mid = () => `aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOj${randomBytes(8).toString('hex')}${(seq += 1)}`;

type Item = Record<string, unknown>;

/** Meta's envelope around messaging items of one account. */
export function envelope(accountIgId: string, items: Item[], extraEntries: { id: string; messaging?: Item[]; changes?: Item[] }[] = []) {
  return {
    object: 'instagram',
    entry: [{ id: accountIgId, time: Date.now(), messaging: items }, ...extraEntries.map((e) => ({ time: Date.now(), ...e }))],
  };
}

export const inbound = (account: string, customer: string, ts: number, message: Item) => ({
  sender: { id: customer },
  recipient: { id: account },
  timestamp: ts,
  message,
});
export const echo = (account: string, customer: string, ts: number, message: Item) => ({
  sender: { id: account },
  recipient: { id: customer },
  timestamp: ts,
  message: { is_echo: true, ...message },
});
export const event = (account: string, customer: string, ts: number, body: Item) => ({
  sender: { id: customer },
  recipient: { id: account },
  timestamp: ts,
  ...body,
});

/** POSTs a body to /webhooks/instagram signed like Meta signs it. */
export function postSigned(t: Threadline, body: unknown, opts: { secret?: string; raw?: string; signature?: string } = {}) {
  const payload = opts.raw ?? JSON.stringify(body);
  return t.app.inject({
    method: 'POST',
    url: '/webhooks/instagram',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': opts.signature ?? signMetaBody(Buffer.from(payload), opts.secret ?? APP_SECRET),
    },
    payload,
  });
}
