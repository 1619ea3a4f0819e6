import type { Db } from '../../db/client.ts';
import { classifyGraphError } from '../../instagram/graph-client.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Counter } from '../../shared/metrics.ts';
import type { AccountGraphs } from '../accounts/account-graphs.ts';
import type { AccountStatus } from '../accounts/account-status.ts';
import { recordAll, type InboxUnitsOfWork } from '../../events/inbox-events.ts';
import { applyEvent, type ApplyHooks } from './ingest-apply.ts';
import { applyWaiting } from './ingest-message-events.ts';
import { messageEventFromDetail } from './message-detail-event.ts';
import { createReconcileRepository } from './reconcile.repository.ts';

/** Meta's Conversations API allows 2 calls per second per account. */
const CALL_SPACING_MS = 550;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type ReconcileDeps = {
  db: Db;
  graphs: Pick<AccountGraphs, 'forAccount'>;
  accountStatus: AccountStatus;
  units: InboxUnitsOfWork;
  hooks: ApplyHooks;
  log: Logger;
  gaps: Counter;
  now: () => Date;
  spacingMs?: number;
};

/**
 * Meta sometimes never delivers a webhook. This walks each active account's most recent conversations through the
 * Conversations API (within its rate limit), stores any message the webhooks missed (deduplicated by mid as
 * usual), counts the gaps, and settles sends whose outcome was unknown.
 */
export function createReconciler(deps: ReconcileDeps) {
  const spacing = deps.spacingMs ?? CALL_SPACING_MS;
  const repo = createReconcileRepository(deps.db);

  async function reconcileAccount(account: { id: string; igUserId: string }, maxConversations: number): Promise<number> {
    const client = await deps.graphs.forAccount(account.id);
    if (!client) return 0;
    let found = 0;
    try {
      await sleep(spacing);
      const page = await client.listConversations({ limit: maxConversations });
      for (const conversation of page.items) {
        await sleep(spacing);
        const list = await client.getConversationMessages(conversation.id, { limit: 20 });
        const ids = list.items.map((m) => m.id);
        if (ids.length === 0) continue;
        const knownSet = await repo.knownMids(account.id, ids);
        for (const id of ids.filter((x) => !knownSet.has(x))) {
          await sleep(spacing);
          const detail = await client.getMessage(id);
          const event = messageEventFromDetail(account.igUserId, detail, 'reconciled');
          if (!event) continue;
          await deps.units.run(async (uow) => {
            const { tx } = uow;
            const result = await applyEvent(tx, account.id, event, deps.hooks, undefined, { textIsCurrent: true });
            await recordAll(uow, result.events);
          });
          found += 1;
        }
      }
    } catch (error) {
      if (classifyGraphError(error) === 'reauth') await deps.accountStatus.markReauthRequired(account.id, 'reconciliation: token refused');
      else deps.log.warn({ accountId: account.id, err: error }, 'reconciliation stopped early');
    }
    if (found > 0) {
      deps.gaps.inc({ account: account.id }, found);
      deps.log.warn({ accountId: account.id, found }, 'reconciliation stored messages the webhooks missed');
    }
    return found;
  }

  return {
    reconcileAccount,
    async reconcileAll(maxConversations = 10): Promise<number> {
      const rows = await repo.activeAccounts();
      let total = 0;
      for (const account of rows) total += await reconcileAccount(account, maxConversations);
      return total;
    },
    /**
     * Sends whose answer was lost: if the echo never came, look for the message in the conversation through the
     * API; found → sent; not there after the wait → failed (never delivered, so a manual retry cannot duplicate it).
     */
    async settleUnknown(olderThanSeconds: number): Promise<void> {
      const cutoff = new Date(deps.now().getTime() - olderThanSeconds * 1000);
      const stuck = await repo.unknownSendsBefore(cutoff);
      for (const { m, igsid, igUserId } of stuck) {
        const client = await deps.graphs.forAccount(m.accountId);
        if (!client) continue;
        try {
          await sleep(spacing);
          const convs = await client.listConversations({ userId: igsid, limit: 1 });
          const conv = convs.items[0];
          let match: string | null = null;
          if (conv) {
            await sleep(spacing);
            const list = await client.getConversationMessages(conv.id, { limit: 20 });
            const candidates = list.items.filter((x) => x.from?.id === igUserId && x.createdTime && Date.parse(x.createdTime.replace(/\+0000$/, 'Z')) >= m.sentAt.getTime() - 60_000);
            const known = await repo.knownMids(m.accountId, candidates.map((c) => c.id).concat(['-']));
            for (const c of candidates.filter((x) => !known.has(x.id))) {
              await sleep(spacing);
              const detail = await client.getMessage(c.id);
              if ((detail.text ?? null) === (m.text ?? null)) {
                match = c.id;
                break;
              }
            }
          }
          await deps.units.run(async (uow) => {
            const { tx } = uow;
            const settled = await repo.settleUnknown(tx, m.id, match);
            // what waited for its mid (a reaction, a seen receipt) is applied now (§3.7)
            const arrived = match && settled.length > 0 ? [{ id: m.id, accountId: m.accountId, mid: match, conversationId: m.conversationId, sentAt: m.sentAt }] : [];
            const waited = await applyWaiting(tx, arrived, { textIsCurrent: true });
            await recordAll(uow, [{ type: match ? 'message.sent' : 'message.updated', accountId: m.accountId, conversationId: m.conversationId, messageId: m.id, occurredAt: deps.now() }, ...waited]);
          });
        } catch (error) {
          deps.log.warn({ messageId: m.id, err: error }, 'could not settle a send of unknown outcome yet');
        }
      }
    },
  };
}
export type Reconciler = ReturnType<typeof createReconciler>;
