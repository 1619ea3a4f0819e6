import { createHmac } from 'node:crypto';
import type { SimApp } from '../state/schema.ts';
import type { Variants } from '../variants.ts';

/** `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the raw body, keyed by the app secret (§3.2). */
export function signatureHeaders(body: string, secret: string): Record<string, string> {
  return {
    'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    'x-hub-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
  };
}

/** Which secret signs webhooks is [?] in the reference (§3.2): the Instagram app secret or the Meta one. */
export function webhookSecretOf(app: SimApp, variants: Variants): string {
  return variants.webhookSecret === 'meta' ? app.metaAppSecret : app.secret;
}
