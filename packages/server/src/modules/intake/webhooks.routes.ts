import { routes } from '@threadline/contract';
import { route, routeWith } from '../../http/route.ts';
import type { App } from '../../http/server.ts';
import { verifyMetaSignature, verifySubscriptionHandshake } from '../../instagram/webhook-signature.ts';
import { createGroupCommit } from '../../shared/group-commit.ts';
import { createLogGate } from '../../shared/logger.ts';
import { intakeRefusals, refuse } from './intake.errors.ts';
import type { IntakeMetrics } from './intake-metrics.ts';

export type WebhookRoutesOptions = {
  appSecrets: string[];
  verifyToken: string | undefined;
  bodyLimitBytes: number;
  ackTimeoutMs: number;
  /**
   * Stores and applies a batch of POSTs in one transaction, answering their ids once committed (the webhook
   * processor's `storeAndApply`, which stores a batch it cannot apply unapplied, for the processing rounds).
   */
  storeAndApply: (items: { body: Buffer; secretIndex: number }[]) => Promise<number[]>;
  /** How long a batch waits for more POSTs (WEBHOOK_GATHER_MS). */
  gatherMs: number;
  metrics: IntakeMetrics;
};

class AckTimeout extends Error {}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AckTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The most POSTs one insert stores, and their most bytes (a larger body goes alone). */
const MAX_BODIES_PER_INSERT = 64;
const MAX_BYTES_PER_INSERT = 4 * 1024 * 1024;

/**
 * Meta's endpoint. The raw bytes are verified (X-Hub-Signature-256, constant time, every configured secret) and
 * stored before the 200; when the database cannot take them in time the answer is 503 so Meta retries. POSTs
 * arriving while an insert is under way are stored together by the next one (group commit: one statement and one
 * commit for many POSTs under load). A batch is also applied to the inbox in the same transaction (`storeAndApply`),
 * after waiting `gatherMs` for others to join it, in every `serve` process (with workers or `--no-workers`).
 */
export async function instagramWebhookRoutes(app: App, opts: WebhookRoutesOptions) {
  const store = createGroupCommit({
    write: (items: { body: Buffer; secretIndex: number }[]) => opts.storeAndApply(items),
    gatherMs: opts.gatherMs,
    maxBatch: MAX_BODIES_PER_INSERT,
    maxWeight: MAX_BYTES_PER_INSERT,
    weigh: (item) => item.body.length,
    // an insert hung on a connection the network dropped is given up on (its POSTs were answered 503 by then)
    // so the POSTs behind it are stored on another connection
    abandonAfterMs: opts.ackTimeoutMs,
    onWritten: opts.metrics.written,
  });
  // while the database is away every POST fails the same way: one line every few seconds, with the count
  const gate = createLogGate(5_000);
  let unstored = 0;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.bodyLimitBytes }, (_req, body, done) => {
    done(null, body);
  });

  route(app, routes.platform.webhookHandshake, async (req, reply) => {
    const challenge = verifySubscriptionHandshake(req.query, opts.verifyToken ?? '');
    if (challenge === null) {
      req.log.warn('webhook verification handshake refused');
      return refuse(reply, intakeRefusals.verificationFailed, req.id);
    }
    return reply.code(200).type('text/plain').send(challenge);
  });

  routeWith(app, routes.platform.webhook, { bodyLimit: opts.bodyLimitBytes }, async (req, reply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (opts.appSecrets.length === 0) {
      opts.metrics.received.inc({ outcome: 'not_configured' });
      req.log.error('webhook refused: no app secret configured (INSTAGRAM_OAUTH_CLIENT_SECRET / INSTAGRAM_APP_SECRET / META_APP_SECRET)');
      return refuse(reply, intakeRefusals.notConfigured, req.id);
    }
    const header = req.headers['x-hub-signature-256'];
    const check = verifyMetaSignature(raw, typeof header === 'string' ? header : undefined, opts.appSecrets);
    if (!check.ok) {
      opts.metrics.received.inc({ outcome: `signature_${check.reason}` });
      req.log.warn({ reason: check.reason, bytes: raw.length }, 'webhook refused: bad signature');
      return refuse(reply, intakeRefusals.invalidSignature, req.id);
    }
    let id: number;
    try {
      id = await within(store.submit({ body: raw, secretIndex: check.secretIndex }), opts.ackTimeoutMs);
      opts.metrics.received.inc({ outcome: 'stored' });
      req.log.debug({ webhookEventId: id, secretIndex: check.secretIndex }, 'webhook stored');
    } catch (error) {
      opts.metrics.received.inc({ outcome: 'unavailable' });
      unstored += 1;
      gate('unstored', () => {
        req.log.error({ err: error instanceof AckTimeout ? 'timeout' : error, unstoredSinceLastLine: unstored }, 'webhook not stored: answering 503 so Meta retries');
        unstored = 0;
      });
      return refuse(reply, intakeRefusals.unavailable, req.id);
    }
    return reply.code(200).type('text/plain').send('EVENT_RECEIVED');
  });
}
