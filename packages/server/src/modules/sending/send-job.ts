import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../db/client.ts';
import { classifyGraphError, isGraphApiError, type SendBody } from '../../instagram/graph-client.ts';
import { withFreshUploadLink, type UploadLinks } from './media/upload-links.ts';
import type { Queue } from '../../jobs/queue.ts';
import { jobs } from '../../jobs/registry.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Counter } from '../../shared/metrics.ts';
import type { AccountGraphs } from '../accounts/account-graphs.ts';
import type { AccountStatus } from '../accounts/account-status.ts';
import { recordAll, type InboxEvent, type InboxUnitsOfWork } from '../../events/inbox-events.ts';
import type { SendRateLimiter } from './send-rate-limiter.ts';
import { INTERRUPTED_SEND_MESSAGE } from './send-recovery.ts';
import { createOutboundMessagesRepository, type MessageChange, type MessageRow } from './outbound-messages.repository.ts';
import { createSendingAccountsRepository } from './sending-accounts.repository.ts';

export const MAX_SEND_ATTEMPTS = 6;
const backoffMs = (attempt: number) => Math.min(300_000, 2_000 * 3 ** (attempt - 1));

export type SendJobDeps = {
  db: Db;
  queue: Queue;
  graphs: Pick<AccountGraphs, 'forAccount'>;
  accountStatus: AccountStatus;
  limiter: SendRateLimiter;
  units: InboxUnitsOfWork;
  log: Logger;
  now: () => Date;
  outcomes: Counter;
  /** This process's registry id: a `sending` row names its sender, so a send cut off by its death is found. */
  processId: string;
  /** Uploaded attachments go out with a link made now: links expire (upload-links.ts). */
  uploadLinks: Pick<UploadLinks, 'url'>;
  /**
   * Applies what waited for a message that just got its mid (ingest's `applyWaiting`, wired in the composition
   * root): a reaction or seen receipt can arrive before Meta answers the send (§3.7).
   */
  applyWaiting(tx: Db, sent: readonly SentMessage[], opts: { textIsCurrent: true }): Promise<InboxEvent[]>;
};

/** A message Meta accepted, as the waiting events name it. */
type SentMessage = { id: string; accountId: string; mid: string; conversationId: string; sentAt: Date };
function isSendBody(value: unknown): value is SendBody {
  return typeof value === 'object' && value !== null && 'recipient' in value;
}

/**
 * Sends one queued message through the account's Graph client. The row moves queued → sending → sent | failed |
 * unknown, and only a `queued → sending` transition that this worker won may call Meta, so two workers never send
 * one message. Meta's Send API has no idempotency key: an attempt whose outcome is unknown is never re-sent blindly.
 */
export function createSendJob(deps: SendJobDeps) {
  const { db, queue, log, now, units } = deps;
  const repo = createOutboundMessagesRepository(db);
  const accounts = createSendingAccountsRepository(db);

  async function update(m: MessageRow, values: MessageChange, event?: 'message.sent' | 'message.updated') {
    await units.run(async (uow) => {
      const { tx } = uow;
      await repo.update(m.id, values, tx);
      if (event) await recordAll(uow, [{ type: event, accountId: m.accountId, conversationId: m.conversationId, messageId: m.id, occurredAt: now() }]);
    });
  }
  const requeue = async (m: MessageRow, afterMs: number, values: MessageChange = {}) => {
    await update(m, { status: 'queued', ...values });
    // A delay in (fractional) seconds, not a date: pg-boss adds it to the database's clock, not ours.
    await queue.enqueue(jobs.messagesSend, { messageId: m.id }, { startAfter: Math.max(0.1, afterMs / 1000) });
  };

  /** Meta answered with a message id: store it; if the echo got here first and made its own row, keep ours. */
  async function markSent(m: MessageRow, mid: string | null) {
    await units.run(async (uow) => {
      const { tx } = uow;
      if (mid) {
        const echoRow = await repo.findEcho(m.accountId, mid, m.id, tx);
        if (echoRow) await repo.replaceEcho(echoRow.id, m.id, tx);
      }
      await repo.markSent(m.id, mid, tx);
      const sent: InboxEvent = { type: 'message.sent', accountId: m.accountId, conversationId: m.conversationId, messageId: m.id, occurredAt: now() };
      // a reaction or seen receipt that came before Meta's answer waited for this mid (§3.7)
      const waited = mid ? await deps.applyWaiting(tx, [{ id: m.id, accountId: m.accountId, mid, conversationId: m.conversationId, sentAt: m.sentAt }], { textIsCurrent: true }) : [];
      await recordAll(uow, [sent, ...waited]);
    });
  }

  /** The conversation's next queued message, if any, gets its turn. */
  async function next(m: MessageRow) {
    const following = await repo.nextQueued(m.conversationId);
    if (following) await queue.enqueue(jobs.messagesSend, { messageId: following.id });
  }

  /** Whether an earlier outbound message of the conversation is still queued or being sent. */
  const earlierUnsettled = (m: MessageRow): Promise<boolean> => repo.earlierUnsettled(m);

  /**
   * A job whose message is no longer queued: a duplicate, or the retry of a job that failed after its message
   * settled (handing the turn over can fail too: the queue insert meets a database error). A settled message is
   * answered so the turn is handed over again; without that its follower would wait for the minute sweeper.
   */
  async function settledAlready(messageId: string): Promise<MessageRow | null> {
    const row = await repo.findOutbound(messageId);
    if (row && row.status === 'sending' && row.sendingBy === deps.processId && !calling.has(row.id)) {
      // This process marked it `sending` and no attempt of its is under way: the outcome was never written (the
      // database went away meanwhile). Whether Meta got it is not known: `unknown`, settled later, never re-sent.
      await update(row, { status: 'unknown', sendingBy: null, errorMessage: INTERRUPTED_SEND_MESSAGE }, 'message.updated');
      return { ...row, status: 'unknown' };
    }
    return row && row.status !== 'queued' && row.status !== 'sending' ? row : null;
  }

  /** messages this process is attempting now: from the claim (`sending`) until the outcome is written */
  const calling = new Set<string>();

  async function run(messageId: string): Promise<void> {
    const m = await attempt(messageId);
    if (m) await next(m);
  }

  /** One attempt; answers the row when it reached a settled state (sent, failed, unknown), else null. */
  async function attempt(messageId: string): Promise<MessageRow | null> {
    const m = await repo.claimForSending(messageId, deps.processId);
    if (!m) return settledAlready(messageId);
    // From the claim on, the row says `sending` by this process: another job of the same message that runs
    // meanwhile (a retry, a duplicate) must see the attempt under way, not an interrupted one, even before Meta is
    // called (the account's state, the rate limiter's turn and the client are read first).
    calling.add(m.id);
    try {
      return await claimed(m);
    } finally {
      calling.delete(m.id);
    }
  }

  /** The attempt of a message this process has just claimed (`sending`). */
  async function claimed(m: MessageRow): Promise<MessageRow | null> {
    const account = await accounts.sendState(m.accountId);
    if (!account || account.status === 'disconnected') {
      // Unlinked (or gone): nothing may be sent with a token that no longer belongs here; the message fails with why.
      const why = account?.statusReason ? ` (${account.statusReason})` : '';
      await update(m, { status: 'failed', errorMessage: `Not sent: the Instagram account was disconnected${why}.`.slice(0, 500) }, 'message.updated');
      return m;
    }
    if (account.status !== 'active') {
      // Parked: the account's queue resumes when it is reconnected (the sweeper re-enqueues queued messages).
      await update(m, { status: 'queued', sendAttempts: m.sendAttempts - 1 });
      return null;
    }
    if (account.pausedUntil && account.pausedUntil > now()) {
      await requeue(m, account.pausedUntil.getTime() - now().getTime(), { sendAttempts: m.sendAttempts - 1 });
      return null;
    }
    // One conversation's messages reach the customer in the order they were written.
    if (await earlierUnsettled(m)) {
      // Not its turn: it stays queued and the earlier message hands over when it settles (see `next`). That one may
      // have settled, and looked for a queued follower, while this row still said `sending`: then nobody would, so
      // look again once it says `queued` and take the turn if it came meanwhile.
      await update(m, { status: 'queued', sendAttempts: m.sendAttempts - 1 });
      if (!(await earlierUnsettled(m))) await queue.enqueue(jobs.messagesSend, { messageId: m.id });
      return null;
    }
    const request = m.request;
    if (!isSendBody(request)) {
      await update(m, { status: 'failed', errorMessage: 'The stored request is not a Send API body.' }, 'message.updated');
      return null;
    }
    const media = m.kind === 'audio' || m.kind === 'video';
    const slot = await deps.limiter.acquire(m.accountId, media ? 'media' : 'text', now());
    if (!slot.ok) {
      await requeue(m, slot.retryInMs, { sendAttempts: m.sendAttempts - 1 });
      return null;
    }
    // the account's turn, at most a second away (see send-rate-limiter.ts)
    if (slot.waitMs > 0) await sleep(slot.waitMs);
    // Resolved now, not when the message was queued: a relink (another token, another path) is what is used.
    const client = await deps.graphs.forAccount(m.accountId);
    if (!client) {
      await update(m, { status: 'queued', sendAttempts: m.sendAttempts - 1 });
      await deps.accountStatus.markReauthRequired(m.accountId, 'no usable token for sending');
      return null;
    }
    try {
      const result = await client.sendMessage(withFreshUploadLink(request, m.attachments, deps.uploadLinks));
      await markSent(m, result.messageId);
      deps.outcomes.inc({ outcome: 'sent' });
      return m;
    } catch (error) {
      // not Meta's answer but our database's (writing the outcome failed): the job is retried, and finds the row
      // `sending` with no call under way (`settledAlready`)
      if (!isGraphApiError(error)) throw error;
      return (await handleFailure(m, error)) ? m : null;
    }
  }

  /** Answers whether the message is settled (failed or unknown) rather than waiting for another attempt. */
  async function handleFailure(m: MessageRow, error: unknown): Promise<boolean> {
    const kind = classifyGraphError(error);
    const code = isGraphApiError(error) ? error.code : null;
    const subcode = isGraphApiError(error) ? error.subcode : null;
    const message = (isGraphApiError(error) ? (error.userMessage ?? error.message) : String(error)).slice(0, 500);
    deps.outcomes.inc({ outcome: kind });
    log.warn({ messageId: m.id, kind, code, subcode }, 'send failed');
    switch (kind) {
      case 'reauth':
        await update(m, { status: 'queued', errorCode: code, errorSubcode: subcode, errorMessage: message, sendAttempts: m.sendAttempts - 1 });
        await deps.accountStatus.markReauthRequired(m.accountId, `send: ${code}/${subcode ?? '-'} ${message}`);
        return false;
      case 'throttled': {
        const waitMs = ((isGraphApiError(error) ? error.retryAfterSeconds : null) ?? 60) * 1000;
        await accounts.pauseSends(m.accountId, new Date(now().getTime() + waitMs));
        await requeue(m, waitMs, { sendAttempts: m.sendAttempts - 1 });
        return false;
      }
      case 'transient':
        if (m.sendAttempts < MAX_SEND_ATTEMPTS) {
          await requeue(m, backoffMs(m.sendAttempts), { errorCode: code, errorSubcode: subcode, errorMessage: message });
          return false;
        }
        await update(m, { status: 'failed', errorCode: code, errorSubcode: subcode, errorMessage: `Gave up after ${m.sendAttempts} attempts: ${message}` }, 'message.updated');
        return true;
      case 'unknown_outcome':
        await update(m, { status: 'unknown', errorCode: code, errorSubcode: subcode, errorMessage: 'Sent, but Instagram’s answer was lost; waiting for confirmation.' }, 'message.updated');
        return true;
      default:
        await update(m, { status: 'failed', errorCode: code, errorSubcode: subcode, errorMessage: message }, 'message.updated');
        return true;
    }
  }

  return { run, markSent };
}
export type SendJob = ReturnType<typeof createSendJob>;
