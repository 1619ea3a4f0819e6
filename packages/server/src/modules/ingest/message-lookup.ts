import type { Db } from '../../db/client.ts';
import { classifyGraphError, isGraphApiError, type MessageDetail } from '../../instagram/graph-client.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AccountStatus } from '../accounts/account-status.ts';
import type { AccountGraphs } from '../accounts/account-graphs.ts';
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import { recordAll, type InboxEvent, type InboxUnitsOfWork } from '../../events/inbox-events.ts';
import { inboxWrites } from '../inbox/inbox-write.repository.ts';
import { applyEvent, type ApplyHooks } from './ingest-apply.ts';
import { messageEventFromDetail } from './message-detail-event.ts';

/** The message lookup's job payload: which message of which account to read from Meta. */
export type MessageLookupJob = { accountId: string; mid: string };

/**
 * Reads one message from Meta (`GET /<ver>/<MESSAGE_ID>?fields=id,created_time,from,to,message,attachments`) on the
 * account's host with its token (Instagram Login or its Facebook Page: the account-bound client decides); null when
 * the account has no usable token.
 */
export type FetchMessage = (accountId: string, mid: string) => Promise<MessageDetail | null>;

export function createFetchMessage(deps: { graphs: Pick<AccountGraphs, 'forAccount'> }): FetchMessage {
  return async (accountId, mid) => {
    const client = await deps.graphs.forAccount(accountId);
    return client === null ? null : client.getMessage(mid);
  };
}

export type MessageLookupDeps = {
  db: Db;
  fetchMessage: FetchMessage;
  accounts: Pick<AccountsRepository, 'find'>;
  accountStatus: Pick<AccountStatus, 'markReauthRequired'>;
  hooks: ApplyHooks;
  units: InboxUnitsOfWork;
  log: Logger;
};

/**
 * An edit that came without its text (§3.7): the text is read from Meta. A known message gets it; an unknown one is
 * stored from Meta's answer into its conversation (what waited for it is then applied). Temporary failures throw, so
 * the job is retried like other Graph calls; after the last try (`giveUp`), or at once when Meta says the message
 * cannot be read, the message shows "edited (text unavailable)".
 */
export function createMessageLookup(deps: MessageLookupDeps) {
  const { log, units } = deps;

  async function giveUp({ accountId, mid }: MessageLookupJob): Promise<void> {
    await units.run(async (uow) => {
      const { tx } = uow;
      const row = await inboxWrites.editTextUnavailable(tx, accountId, mid);
      if (!row) return;
      await recordAll(uow, [{ type: 'message.updated', accountId, conversationId: row.conversationId, messageId: row.id, occurredAt: new Date() }]);
    });
  }

  async function store(job: MessageLookupJob, igUserId: string, detail: MessageDetail): Promise<boolean> {
    return units.run(async (uow) => {
      const { tx } = uow;
      const events: InboxEvent[] = [];
      const known = await inboxWrites.findMessageByMid(tx, job.accountId, job.mid);
      if (known) {
        const text = detail.text ?? known.text;
        const updated = await inboxWrites.setCurrentText(tx, known.id, text);
        if (updated) {
          if (text !== null) await inboxWrites.previewEdited(tx, updated.conversationId, updated.id, text);
          events.push({ type: 'message.updated', accountId: job.accountId, conversationId: updated.conversationId, messageId: updated.id, occurredAt: new Date() });
        }
      } else {
        const event = messageEventFromDetail(igUserId, detail, 'looked_up');
        if (!event) return false;
        events.push(...(await applyEvent(tx, job.accountId, event, deps.hooks, undefined, { textIsCurrent: true })).events);
      }
      await recordAll(uow, events);
      return true;
    });
  }

  return {
    giveUp,
    async run(job: MessageLookupJob): Promise<void> {
      const account = await deps.accounts.find(job.accountId);
      if (!account) return;
      let detail: MessageDetail | null;
      try {
        detail = await deps.fetchMessage(job.accountId, job.mid);
      } catch (error) {
        const kind = classifyGraphError(error);
        if (kind === 'transient' || kind === 'throttled' || kind === 'unknown_outcome') throw error;
        if (kind === 'reauth') await deps.accountStatus.markReauthRequired(job.accountId, 'message lookup: token refused');
        const code = isGraphApiError(error) ? `${error.code ?? '?'}/${error.subcode ?? '-'}` : 'error';
        log.info({ accountId: job.accountId, code, kind }, 'message not readable from Meta: its edit stays without text');
        await giveUp(job);
        return;
      }
      const stored = detail !== null && (await store(job, account.igUserId, detail));
      log.debug({ accountId: job.accountId, answered: detail !== null, stored }, 'message looked up');
      if (!stored) await giveUp(job);
    },
  };
}
export type MessageLookup = ReturnType<typeof createMessageLookup>;
