import type { InboxUnitsOfWork } from '../../../events/inbox-events.ts';
import type { TokenVault } from '../../../shared/crypto/token-vault.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { SafeHttpClient } from '../../../shared/net/safe-http.ts';
import type { CrmMetrics } from './crm-metrics.ts';
import { MAX_RETRY_AFTER_MS, nextRetryDelayMs, probeDelayMs } from './crm-schedule.ts';
import { signingSecrets } from '../endpoints/crm-secrets.ts';
import { sendAttempt, type AttemptResult } from './crm-sender.ts';
import type { CrmSettings } from '../../../config/crm-settings.ts';
import type { ClaimedDelivery, ClaimedWork, CrmRepository, SendingAccount, SendingDelivery, UnsuccessfulOutcome } from './crm.repository.ts';

export type DeliveryDeps = {
  /** Opens transactions: a batch's outcomes here, an endpoint's changes in crm.service.ts. */
  units: Pick<InboxUnitsOfWork, 'run'>;
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

/** What one attempt came to; `result` is null when there was nothing to send (cancelled, endpoint gone). */
export type AttemptedDelivery = {
  claimed: ClaimedDelivery;
  delivery: SendingDelivery;
  account: SendingAccount;
  result: AttemptResult | null;
  at: Date;
};

/** Makes one attempt of a prepared delivery (the HTTP part only; `recordOutcomes` writes what came of it). */
export async function attemptDelivery(deps: DeliveryDeps, work: ClaimedWork): Promise<AttemptedDelivery | { claimed: ClaimedDelivery; result: null }> {
  const { claimed, delivery, account } = work;
  if (delivery.status !== 'pending' || account.crmWebhookUrl === null || account.crmDisabledAt !== null) {
    // cancelled, or the endpoint went away between the claim and now: nothing to send
    return { claimed, result: null };
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
  return { claimed, delivery, account, result, at: now };
}

/**
 * Writes what came of a batch of attempts in one transaction: every attempt row in one insert, every success in
 * one update, each failure's next attempt and the endpoints' health; every claim of the batch is released. An
 * endpoint that answered 2xx after failing gets its waiting deliveries released (due now, in order). Answers how
 * many, so the caller can look for them at once, when the earliest retry written here comes due and when a failing
 * endpoint may next be probed (null: none), so the caller can look then instead of polling.
 */
export async function recordOutcomes(
  deps: DeliveryDeps,
  outcomes: readonly (AttemptedDelivery | { claimed: ClaimedDelivery; result: null })[],
): Promise<{ released: number; nextRetryAt: Date | null; nextProbeAt: Date | null }> {
  const finishedAt = deps.now();
  const attempted = outcomes.filter((o): o is AttemptedDelivery => o.result !== null);
  const skipped = outcomes.filter((o) => o.result === null).map((o) => o.claimed.id);
  const succeeded = attempted.filter((o) => o.result?.verdict === 'success');
  /** endpoints to disable, by account (the last reason of the batch wins) */
  const disabled = new Map<string, { reason: string; gone: boolean }>();

  // a success is dated when its endpoint answered (`succeeded_at`), not when the batch's outcomes are written
  const successes = succeeded.map((o) => {
    const durationMs = o.result?.durationMs ?? 0;
    return {
      id: o.delivery.id,
      at: o.at,
      answeredAt: new Date(o.at.getTime() + durationMs),
      statusCode: o.result?.statusCode ?? null,
      durationMs,
      responseExcerpt: o.result?.responseExcerpt ?? null,
    };
  });
  const recovered = new Set(succeeded.filter((o) => o.account.crmFailingSince !== null).map((o) => o.account.id));
  let released = 0;
  let nextRetryAt: Date | null = null;
  let nextProbeAt: Date | null = null;
  if (succeeded.length === outcomes.length && recovered.size === 0) {
    // the common case under load: every attempt succeeded at a healthy endpoint; one statement
    await deps.repo.recordSucceeded(successes);
  } else {
    await deps.units.run(async ({ tx }) => {
      await deps.repo.releaseClaims(skipped, tx);
      await deps.repo.recordSucceeded(successes, tx);
      await deps.repo.insertAttempts(
        attempted
          .filter((o) => o.result?.verdict !== 'success')
          .map(({ delivery, result, at }) => ({
            deliveryId: delivery.id,
            attemptedAt: at,
            statusCode: result?.statusCode ?? null,
            durationMs: result?.durationMs ?? 0,
            error: result?.error ?? null,
            responseExcerpt: result?.responseExcerpt ?? null,
          })),
        tx,
      );
      for (const accountId of recovered) {
        // what was written until now is the backlog: claims take what is written from now on first (migration 0017)
        await deps.repo.updateAccount(accountId, { crmFailingSince: null, crmProbeAt: null, crmRecoveredAt: finishedAt }, tx);
        released += await deps.repo.releaseBacklog(accountId, finishedAt, tx);
        // The endpoint may have been back since the probe before this one failed: what was written since then (never
        // attempted) goes ahead of the backlog, as the new events it is (crm-schedule.ts)
        const probe = succeeded.find((o) => o.account.id === accountId);
        const since = probe?.account.crmFailingSince;
        if (probe && since) {
          const delay = probeDelayMs(probe.at.getTime() - since.getTime());
          const from = new Date((probe.account.crmProbeAt ?? probe.at).getTime() - 2 * delay);
          released += await deps.repo.putRecentAhead(accountId, from, tx);
        }
      }

      // Attempts claimed while their endpoint was failing can fail after another batch's success brought it back
      // (they were in flight at its return, or in another process): they join the backlog that success released, due
      // now in the order they were written, instead of waiting out their back-off behind an endpoint that answers.
      const claimedFailing = attempted.filter((o) => o.result?.verdict === 'retry' && o.account.crmFailingSince !== null && !recovered.has(o.account.id));
      const answersAgain = new Set(await deps.repo.healthyAmong([...new Set(claimedFailing.map((o) => o.account.id))], tx));

      const failingSince = new Map<string, Date>();
      /** accounts whose endpoint this batch found failing first (it was healthy, or came back in this batch) */
      const newlyFailing = new Set<string>();
      /** per failing endpoint, the longest `Retry-After` it answered in this batch: its next probe waits as long */
      const retryAfter = new Map<string, number>();
      /** every unsuccessful attempt's outcome, written together after the loop */
      const finished: UnsuccessfulOutcome[] = [];
      for (const o of attempted) {
        const result = o.result;
        if (!result || result.verdict === 'success') continue;
        const { delivery, account, at } = o;
        const common = { id: delivery.id, lastAttemptAt: at, lastStatusCode: result.statusCode, lastError: result.error, status: 'pending' as const };
        if (result.verdict === 'gone') {
          // kept pending: re-enabling the endpoint sends it
          finished.push({ ...common, nextAttemptAt: finishedAt });
          disabled.set(account.id, { gone: true, reason: `The endpoint answered 410 Gone at ${finishedAt.toISOString()}; set the URL again to re-enable it.` });
          continue;
        }
        const delay = nextRetryDelayMs(deps.settings.retryScheduleMs, o.claimed.attemptCount, {
          retryAfterMs: result.retryAfterMs,
          ...(deps.random ? { random: deps.random } : {}),
        });
        if (delay !== null && answersAgain.has(account.id)) {
          finished.push({ ...common, nextAttemptAt: delivery.createdAt });
          released += 1;
          continue;
        }
        const retryAt = delay === null ? null : new Date(finishedAt.getTime() + delay);
        finished.push(retryAt === null ? { ...common, status: 'failed', nextAttemptAt: null } : { ...common, nextAttemptAt: retryAt });
        if (retryAt !== null && (nextRetryAt === null || retryAt < nextRetryAt)) nextRetryAt = retryAt;
        if (delay === null) deps.metrics.givenUp();
        let since = failingSince.get(account.id) ?? account.crmFailingSince;
        if (since === null || recovered.has(account.id)) {
          since = at;
          if (!failingSince.has(account.id)) newlyFailing.add(account.id);
        }
        failingSince.set(account.id, since);
        retryAfter.set(account.id, Math.max(retryAfter.get(account.id) ?? 0, Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS)));
        if (finishedAt.getTime() - since.getTime() >= deps.settings.disableAfterMs) {
          const hours = Math.round((finishedAt.getTime() - since.getTime()) / 3_600_000);
          disabled.set(account.id, {
            gone: false,
            reason: `Every delivery has failed since ${since.toISOString()} (${hours} h); last error: ${result.error ?? 'unknown'}. Set the URL again to re-enable it.`,
          });
        }
      }
      // The next attempt to each failing endpoint is a probe, after a wait that grows with the outage (crm-schedule.ts),
      // or as long as it asked for (Retry-After)
      for (const [accountId, since] of failingSince) {
        const wait = Math.max(probeDelayMs(finishedAt.getTime() - since.getTime()), retryAfter.get(accountId) ?? 0);
        const probeAt = new Date(finishedAt.getTime() + wait);
        await deps.repo.updateAccount(accountId, { ...(newlyFailing.has(accountId) ? { crmFailingSince: since } : {}), crmProbeAt: probeAt }, tx);
        if (nextProbeAt === null || probeAt < nextProbeAt) nextProbeAt = probeAt;
      }
      await deps.repo.finishDeliveries(finished, tx);
      for (const [accountId, d] of disabled) {
        await deps.repo.updateAccount(accountId, { crmDisabledAt: finishedAt, crmDisabledReason: d.reason }, tx);
      }
    });
  }

  for (const o of attempted) if (o.result) deps.metrics.attempt(o.result.outcome, o.result.durationMs);
  for (const o of succeeded) deps.metrics.delivered(finishedAt.getTime() - o.delivery.createdAt.getTime());
  for (const [accountId, d] of disabled) {
    deps.metrics.endpointDisabled(d.gone ? 'gone' : 'failing');
    deps.log.warn({ accountId, reason: d.reason }, 'CRM endpoint disabled');
  }
  for (const accountId of recovered) deps.log.info({ accountId }, 'CRM endpoint answers again; its waiting deliveries are due now');
  return { released, nextRetryAt, nextProbeAt };
}
