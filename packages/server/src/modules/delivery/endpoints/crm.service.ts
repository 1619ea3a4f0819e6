import type { TokenVault } from '../../../shared/crypto/token-vault.ts';
import type { SafeHttpClient } from '../../../shared/net/safe-http.ts';
import { checkOutboundUrl, resolveAndCheck } from '../../../shared/net/url-policy.ts';
import type { AuditLog } from '../../audit/audit.repository.ts';
import { serializePayload, type DeliveryDeps } from '../dispatch/crm-delivery.ts';
import { newDeliveryId } from '../outbox/crm-outbox.ts';
import { envelope, presentCrmAccount } from '../outbox/crm-payload.ts';
import { previousSecretValidUntil, signingSecrets } from './crm-secrets.ts';
import { sendAttempt } from '../dispatch/crm-sender.ts';
import type { CrmSettings } from '../../../config/crm-settings.ts';
import type { AccountRow, AttemptRow, CrmRepository, DeliveryRow } from '../dispatch/crm.repository.ts';
import { generateWebhookSecret } from '../dispatch/standard-webhooks.ts';
import { crmErrors } from '../crm.errors.ts';
import { accountErrors } from '../../accounts/accounts.errors.ts';

export type CrmServiceDeps = DeliveryDeps & {
  repo: CrmRepository;
  vault: TokenVault;
  client: SafeHttpClient;
  settings: CrmSettings;
  audit: AuditLog;
  /** Deliveries were made due now (requeued, restarted): the dispatcher looks for them at once, wherever it runs. */
  workDue(): Promise<void>;
};

export type DeliveryStatus = DeliveryRow['status'];
export type DeliveryWithAttempts = DeliveryRow & { attempts: AttemptRow[] };
export type ListQuery = { status?: DeliveryStatus; eventType?: string; since?: Date; until?: Date; cursor?: string; limit: number };

function encodeCursor(row: DeliveryRow): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!id || Number.isNaN(createdAt.getTime())) throw crmErrors.badCursor();
  return { createdAt, id };
}

export function createCrmService(deps: CrmServiceDeps) {
  const { units, repo, vault, settings, now } = deps;

  async function account(accountId: string): Promise<AccountRow> {
    const row = await repo.getAccount(accountId);
    if (!row) throw accountErrors.notFound();
    return row;
  }

  /** The save-time check: scheme, credentials, and every address the host resolves to. */
  async function checkUrl(url: string): Promise<string> {
    const checked = checkOutboundUrl(url, { allowHttp: settings.allowHttp, allowedNetworks: settings.allowedNetworks });
    if (!checked.ok) throw checked.error;
    await resolveAndCheck(checked.url.hostname, {
      allowedNetworks: settings.allowedNetworks,
      ...(settings.lookup ? { lookup: settings.lookup } : {}),
    });
    return checked.url.toString();
  }

  return {
    account,

    async setWebhookUrl(accountId: string, url: string | null, actorUserId: string): Promise<AccountRow> {
      const before = await account(accountId);
      if (url === null) {
        const row = await units.run(async ({ tx }) => {
          const cancelled = await repo.cancelPending(accountId, 'The CRM webhook URL was removed before this was delivered.', tx);
          await deps.audit({ action: 'crm.url_cleared', actorUserId, accountId, details: { cancelled } }, tx);
          return repo.updateAccount(accountId, { crmWebhookUrl: null, crmFailingSince: null, crmProbeAt: null, updatedAt: now() }, tx);
        });
        return row;
      }
      const normalized = await checkUrl(url);
      return units.run(async ({ tx, afterCommit }) => {
        const secret = before.webhookSecret ?? vault.encrypt(generateWebhookSecret());
        const row = await repo.updateAccount(
          accountId,
          // what was pending is a backlog from here (claimed after what is written next: crm_recovered_at, migration 0017)
          {
            crmWebhookUrl: normalized,
            webhookSecret: secret,
            crmDisabledAt: null,
            crmDisabledReason: null,
            crmFailingSince: null,
            crmProbeAt: null,
            crmRecoveredAt: now(),
            updatedAt: now(),
          },
          tx,
        );
        // a new URL or a re-enabled endpoint gets what is pending at once, with a fresh schedule
        if ((before.crmWebhookUrl !== normalized || before.crmDisabledAt !== null) && (await repo.restartPending(accountId, now(), tx)) > 0) {
          afterCommit(() => void deps.workDue());
        }
        await deps.audit(
          { action: before.crmWebhookUrl === null ? 'crm.url_set' : 'crm.url_changed', actorUserId, accountId, details: { origin: new URL(normalized).origin } },
          tx,
        );
        return row;
      });
    },

    secretView(row: AccountRow) {
      if (row.webhookSecret === null) throw crmErrors.noSecret();
      const until = previousSecretValidUntil(row, settings.secretOverlapMs, now());
      return {
        secret: vault.decrypt(row.webhookSecret),
        previous_secret: until !== null && row.webhookSecretPrevious !== null ? vault.decrypt(row.webhookSecretPrevious) : null,
        previous_valid_until: until?.toISOString() ?? null,
        rotated_at: row.webhookSecretRotatedAt?.toISOString() ?? null,
      };
    },

    async rotateSecret(accountId: string, actorUserId: string): Promise<AccountRow> {
      const before = await account(accountId);
      if (before.webhookSecret === null) throw crmErrors.noSecret();
      return units.run(async ({ tx }) => {
        const row = await repo.updateAccount(
          accountId,
          { webhookSecretPrevious: before.webhookSecret, webhookSecret: vault.encrypt(generateWebhookSecret()), webhookSecretRotatedAt: now(), updatedAt: now() },
          tx,
        );
        await deps.audit({ action: 'crm.secret_rotated', actorUserId, accountId }, tx);
        return row;
      });
    },

    /** Sends a `ping` now, whatever the endpoint's state, and keeps it in the delivery log. */
    async sendTest(accountId: string) {
      const row = await account(accountId);
      if (row.crmWebhookUrl === null) throw crmErrors.notConfigured();
      const at = now();
      const id = newDeliveryId(at);
      const payload = envelope('ping', id, at, {
        account: presentCrmAccount(row),
        occurred_at: at.toISOString(),
        message: 'A test event from Threadline: your endpoint is reachable and can verify our signature.',
      });
      await repo.insertDelivery({ id, accountId, eventType: 'ping', payload, status: 'pending', attemptCount: 1, nextAttemptAt: null, lockedUntil: null, createdAt: at });
      const result = await sendAttempt(deps.client, {
        url: row.crmWebhookUrl,
        id,
        body: serializePayload(payload),
        secrets: signingSecrets(row, vault, settings.secretOverlapMs, at),
        timeoutMs: settings.timeoutMs,
        now: at,
      });
      // a test is tried once: it never retries, disables the endpoint or counts as the endpoint failing
      await units.run(async ({ tx }) => {
        await repo.insertAttempt(
          { deliveryId: id, attemptedAt: at, statusCode: result.statusCode, durationMs: result.durationMs, error: result.error, responseExcerpt: result.responseExcerpt },
          tx,
        );
        const succeeded = result.verdict === 'success';
        await repo.finishDelivery(
          id,
          { status: succeeded ? 'succeeded' : 'failed', succeededAt: succeeded ? now() : null, lastAttemptAt: at, lastStatusCode: result.statusCode, lastError: result.error },
          tx,
        );
      });
      deps.metrics.attempt(result.outcome, result.durationMs);
      return { delivery_id: id, ...result };
    },

    async listDeliveries(accountId: string, query: ListQuery): Promise<{ deliveries: DeliveryWithAttempts[]; nextCursor: string | null }> {
      const rows = await repo.listDeliveries(accountId, {
        ...(query.status ? { status: query.status } : {}),
        ...(query.eventType ? { eventType: query.eventType } : {}),
        ...(query.since ? { since: query.since } : {}),
        ...(query.until ? { until: query.until } : {}),
        ...(query.cursor ? { before: decodeCursor(query.cursor) } : {}),
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const attempts = await repo.attemptsOf(page.map((r) => r.id));
      const byDelivery = Map.groupBy(attempts, (a) => a.deliveryId);
      const last = page.at(-1);
      return {
        deliveries: page.map((r) => ({ ...r, attempts: byDelivery.get(r.id) ?? [] })),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
      };
    },

    async retry(accountId: string, deliveryId: string, actorUserId: string): Promise<DeliveryRow> {
      const row = await repo.getDelivery(accountId, deliveryId);
      if (!row) throw crmErrors.deliveryNotFound();
      if ((await account(accountId)).crmWebhookUrl === null) throw crmErrors.notConfigured();
      const [id] = await repo.requeue(accountId, { id: deliveryId }, now());
      if (id === undefined) throw crmErrors.attemptInProgress();
      // asked for by a person: it goes now, as the probe of an endpoint that is failing
      await repo.updateAccount(accountId, { crmProbeAt: null });
      await deps.workDue();
      await deps.audit({ action: 'crm.delivery_retried', actorUserId, accountId, target: deliveryId });
      const after = await repo.getDelivery(accountId, deliveryId);
      if (!after) throw crmErrors.deliveryNotFound();
      return after;
    },

    async recover(accountId: string, since: Date, actorUserId: string): Promise<number> {
      if ((await account(accountId)).crmWebhookUrl === null) throw crmErrors.notConfigured();
      const ids = await repo.requeue(accountId, { failedSince: since }, now());
      if (ids.length > 0) {
        await repo.updateAccount(accountId, { crmProbeAt: null });
        await deps.workDue();
      }
      await deps.audit({ action: 'crm.recovered', actorUserId, accountId, details: { since: since.toISOString(), count: ids.length } });
      return ids.length;
    },
  };
}
export type CrmService = ReturnType<typeof createCrmService>;
