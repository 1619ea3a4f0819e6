import type { Db } from '../../db/client.ts';
import type { TokenVault } from '../../shared/crypto/token-vault.ts';
import type { Logger } from '../../shared/logger.ts';
import type { SafeHttpClient } from '../../shared/net/safe-http.ts';
import type { CrmMetrics } from './crm-metrics.ts';
import { nextRetryDelayMs } from './crm-schedule.ts';
import { signingSecrets } from './crm-secrets.ts';
import { sendAttempt, type AttemptResult } from './crm-sender.ts';
import type { CrmSettings } from './crm-settings.ts';
import type { AccountRow, ClaimedDelivery, CrmRepository, DeliveryRow } from './crm.repository.ts';

export type DeliveryDeps = {
  db: Db;
  repo: CrmRepository;
  vault: TokenVault;
  client: SafeHttpClient;
  settings: Pick<CrmSettings, 'retryScheduleMs' | 'timeoutMs' | 'disableAfterMs' | 'secretOverlapMs'>;
  metrics: CrmMetrics;
  log: Logger;
  now: () => Date;
  random?: () => number;
};

/** The exact bytes sent: the envelope's keys in their documented order (jsonb storage does not keep order). */
export function serializePayload(payload: Record<string, unknown>): string {
  const { type, version, id, created_at, data, ...rest } = payload;
  return JSON.stringify({ type, version, id, created_at, data, ...rest });
}

/** Makes one attempt of a claimed delivery and writes its outcome, the next attempt and the endpoint's health. */
export async function deliverClaimed(deps: DeliveryDeps, claimed: ClaimedDelivery): Promise<void> {
  const { repo } = deps;
  const [delivery, account] = await Promise.all([repo.getDelivery(claimed.accountId, claimed.id), repo.getAccount(claimed.accountId)]);
  if (!delivery || delivery.status !== 'pending' || !account || account.crmWebhookUrl === null || account.crmDisabledAt !== null) {
    // cancelled, or the endpoint went away between the claim and now: nothing to send
    await repo.finishDelivery(claimed.id, {});
    return;
  }
  const now = deps.now();
  let result: AttemptResult;
  try {
    result = await sendAttempt(deps.client, {
      url: account.crmWebhookUrl,
      id: delivery.id,
      body: serializePayload(delivery.payload),
      secrets: signingSecrets(account, deps.vault, deps.settings.secretOverlapMs, now),
      timeoutMs: deps.settings.timeoutMs,
      now,
    });
  } catch (error) {
    deps.log.error({ err: error, deliveryId: delivery.id }, 'CRM attempt failed unexpectedly');
    result = {
      verdict: 'retry',
      outcome: 'network_error',
      statusCode: null,
      durationMs: 0,
      error: 'The attempt failed inside Threadline; it has been logged.',
      responseExcerpt: null,
      retryAfterMs: null,
    };
  }
  await recordOutcome(deps, { delivery, account, attemptNumber: claimed.attemptCount, result, at: now });
}

export async function recordOutcome(
  deps: DeliveryDeps,
  input: { delivery: DeliveryRow; account: AccountRow; attemptNumber: number; result: AttemptResult; at: Date },
): Promise<void> {
  const { delivery, account, result, at } = input;
  const finishedAt = deps.now();
  deps.metrics.attempt(result.outcome, result.durationMs);
  const common = { lastAttemptAt: at, lastStatusCode: result.statusCode, lastError: result.error };
  let disableReason: string | null = null;

  await deps.db.transaction(async (tx) => {
    await deps.repo.insertAttempt(
      {
        deliveryId: delivery.id,
        attemptedAt: at,
        statusCode: result.statusCode,
        durationMs: result.durationMs,
        error: result.error,
        responseExcerpt: result.responseExcerpt,
      },
      tx,
    );
    if (result.verdict === 'success') {
      await deps.repo.finishDelivery(delivery.id, { ...common, status: 'succeeded', succeededAt: finishedAt, nextAttemptAt: null }, tx);
      if (account.crmFailingSince !== null) await deps.repo.updateAccount(account.id, { crmFailingSince: null }, tx);
      return;
    }
    if (result.verdict === 'gone') {
      // kept pending: re-enabling the endpoint sends it
      await deps.repo.finishDelivery(delivery.id, { ...common, nextAttemptAt: finishedAt }, tx);
      disableReason = `The endpoint answered 410 Gone at ${finishedAt.toISOString()}; set the URL again to re-enable it.`;
    } else {
      const delay = nextRetryDelayMs(deps.settings.retryScheduleMs, input.attemptNumber, {
        retryAfterMs: result.retryAfterMs,
        ...(deps.random ? { random: deps.random } : {}),
      });
      await deps.repo.finishDelivery(
        delivery.id,
        delay === null
          ? { ...common, status: 'failed', nextAttemptAt: null }
          : { ...common, nextAttemptAt: new Date(finishedAt.getTime() + delay) },
        tx,
      );
      if (delay === null) deps.metrics.givenUp();
      const failingSince = account.crmFailingSince ?? at;
      if (account.crmFailingSince === null) await deps.repo.updateAccount(account.id, { crmFailingSince: at }, tx);
      if (finishedAt.getTime() - failingSince.getTime() >= deps.settings.disableAfterMs) {
        const hours = Math.round((finishedAt.getTime() - failingSince.getTime()) / 3_600_000);
        disableReason = `Every delivery has failed since ${failingSince.toISOString()} (${hours} h); last error: ${result.error ?? 'unknown'}. Set the URL again to re-enable it.`;
      }
    }
    if (disableReason !== null) {
      await deps.repo.updateAccount(account.id, { crmDisabledAt: finishedAt, crmDisabledReason: disableReason }, tx);
    }
  });

  if (result.verdict === 'success') deps.metrics.delivered(finishedAt.getTime() - delivery.createdAt.getTime());
  if (disableReason !== null) {
    deps.metrics.endpointDisabled(result.verdict === 'gone' ? 'gone' : 'failing');
    deps.log.warn({ accountId: account.id, reason: disableReason }, 'CRM endpoint disabled');
  }
}
