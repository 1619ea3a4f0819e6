import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../db/client.ts';
import {
  classifyGraphError,
  isGraphApiError,
  reactBody,
  senderActionBody,
  unreactBody,
  type SendBody,
} from '../../instagram/graph-client.ts';
import type { AccountGraphs } from '../accounts/account-graphs.ts';
import type { AccountStatus } from '../accounts/account-status.ts';
import { recordAll, type InboxUnitsOfWork } from '../../events/inbox-events.ts';
import { inboxWrites } from '../inbox/inbox-write.repository.ts';
import type { ConversationRow } from '../inbox/inbox-read.repository.ts';
import type { SendRateLimiter } from './send-rate-limiter.ts';
import { messagesErrors } from './messages.errors.ts';
import { createOutboundMessagesRepository } from './outbound-messages.repository.ts';
import { createSendingAccountsRepository } from './sending-accounts.repository.ts';

/**
 * Reactions and sender actions (typing, mark seen) go to Meta right away: they carry no content to lose, so a
 * failure is answered to the caller instead of being queued.
 */
export function createDirectActions(deps: {
  db: Db;
  graphs: Pick<AccountGraphs, 'forAccount'>;
  accountStatus: AccountStatus;
  limiter: SendRateLimiter;
  units: InboxUnitsOfWork;
  now: () => Date;
}) {
  const repo = createOutboundMessagesRepository(deps.db);
  const accounts = createSendingAccountsRepository(deps.db);
  async function call(conv: ConversationRow, body: SendBody) {
    const accountId = conv.conversation.accountId;
    const account = await accounts.find(accountId);
    if (!account || account.status !== 'active') throw messagesErrors.reconnectFirst();
    const client = await deps.graphs.forAccount(accountId);
    if (!client) throw messagesErrors.reconnectFirst();
    const slot = await deps.limiter.acquire(accountId, 'text', deps.now());
    if (!slot.ok) throw messagesErrors.rateLimited();
    if (slot.waitMs > 0) await sleep(slot.waitMs);
    try {
      await client.sendMessage(body);
    } catch (error) {
      const kind = classifyGraphError(error);
      if (kind === 'reauth') await deps.accountStatus.markReauthRequired(accountId, 'token refused on a sender action');
      const detail = isGraphApiError(error) ? `${error.code ?? ''}${error.subcode ? `/${error.subcode}` : ''} ${error.userMessage ?? error.message}`.trim() : 'no answer';
      throw messagesErrors.instagramRefused(kind, detail);
    }
  }

  async function target(conv: ConversationRow, messageId: string) {
    const m = await repo.findInConversation(messageId, conv.conversation.id);
    if (!m) throw messagesErrors.messageNotFound();
    if (!m.mid) throw messagesErrors.notSent();
    return { ...m, mid: m.mid };
  }

  return {
    async react(conv: ConversationRow, messageId: string, reaction: string) {
      const m = await target(conv, messageId);
      await call(conv, reactBody(conv.contact.igsid, m.mid, reaction));
      const at = deps.now();
      await deps.units.run(async (uow) => {
        const { tx } = uow;
        await inboxWrites.setReaction(tx, { messageId: m.id, accountId: m.accountId, reactor: 'business', reaction: /^[a-z_]+$/.test(reaction) ? reaction : null, emoji: /^[a-z_]+$/.test(reaction) ? null : reaction, at });
        await recordAll(uow, [{ type: 'reaction.added', accountId: m.accountId, conversationId: m.conversationId, messageId: m.id, reactor: 'business', reaction, emoji: null, occurredAt: at }]);
      });
    },
    async unreact(conv: ConversationRow, messageId: string) {
      const m = await target(conv, messageId);
      await call(conv, unreactBody(conv.contact.igsid, m.mid));
      const at = deps.now();
      await deps.units.run(async (uow) => {
        const { tx } = uow;
        await inboxWrites.removeReaction(tx, m.id, 'business', at);
        await recordAll(uow, [{ type: 'reaction.removed', accountId: m.accountId, conversationId: m.conversationId, messageId: m.id, reactor: 'business', reaction: null, emoji: null, occurredAt: at }]);
      });
    },
    async senderAction(conv: ConversationRow, action: 'typing_on' | 'typing_off' | 'mark_seen') {
      await call(conv, senderActionBody(conv.contact.igsid, action));
    },
  };
}
export type DirectActions = ReturnType<typeof createDirectActions>;
