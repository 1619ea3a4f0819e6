import type { Db } from '../../db/client.ts';
import type { WaitingData } from './ingest.repository.ts';
import type { InboxEvent } from '../../events/inbox-events.ts';
import { inboxWrites } from '../inbox/inbox-write.repository.ts';
import { waitingWrites, type ArrivedMessage } from './waiting-events.repository.ts';

/**
 * Reactions, edits and seen receipts applied to a message Threadline has: at once when the message is known, or
 * later, when it arrives, from what was kept waiting for it (§3.7). Every step is idempotent and ordered by Meta's
 * time, so it makes no difference which came first or how often.
 */

type Target = { id: string; conversationId: string; sentAt: Date; accountId: string; mid: string };
type Reactor = 'contact' | 'business';

/** What lookups of an edit's missing text need: the queue, reached through the apply hooks. */
export type EditTextLookup = (tx: Db, message: { accountId: string; mid: string }) => Promise<void>;

/**
 * Whether the text of the messages at hand was just read from Meta (reconciliation, a lookup, the answer to our own
 * send): then an edit without text needs no lookup of its own; otherwise it is looked up.
 */
export type TextSource = { textIsCurrent: true } | { textIsCurrent: false; lookupText: EditTextLookup };

export async function reactTo(tx: Db, target: Target, reactor: Reactor, data: WaitingData, at: Date): Promise<InboxEvent[]> {
  const reaction = { reactor, reaction: data.reaction ?? null, emoji: data.emoji ?? null };
  const changed =
    data.action === 'unreact'
      ? await inboxWrites.removeReaction(tx, target.id, reactor, at)
      : await inboxWrites.setReaction(tx, { messageId: target.id, accountId: target.accountId, ...reaction, at });
  if (!changed) return [];
  return [
    {
      type: data.action === 'unreact' ? 'reaction.removed' : 'reaction.added',
      accountId: target.accountId,
      conversationId: target.conversationId,
      messageId: target.id,
      occurredAt: at,
      ...reaction,
    },
  ];
}

/**
 * An edit: with its text, applied; without (§3.7), counted and its text looked up from Meta, unless the message's
 * text was itself just read from Meta (`textIsCurrent`). Answers null when the message is not stored.
 */
export async function editMessage(
  tx: Db,
  message: { accountId: string; mid: string },
  data: WaitingData,
  at: Date,
  opts: TextSource,
): Promise<InboxEvent[] | null> {
  const edited =
    data.text === undefined
      ? await inboxWrites.applyEditWithoutText(tx, message.accountId, message.mid, data.numEdit, at, opts.textIsCurrent)
      : await inboxWrites.applyEdit(tx, message.accountId, message.mid, data.text, data.numEdit, at);
  if (!edited) {
    // an older edit arriving late, or an unsent message: nothing to change, as long as the message is there
    return (await inboxWrites.findMessageByMid(tx, message.accountId, message.mid)) ? [] : null;
  }
  if (data.text !== undefined) await inboxWrites.previewEdited(tx, edited.conversationId, edited.id, data.text);
  else if (!opts.textIsCurrent) await opts.lookupText(tx, message);
  return [{ type: 'message.updated', accountId: message.accountId, conversationId: edited.conversationId, messageId: edited.id, occurredAt: at }];
}

/** The customer has seen `target`: our messages of its conversation up to it become `read`. */
export async function seeUpTo(tx: Db, target: Target, at: Date): Promise<InboxEvent[]> {
  const updated = await inboxWrites.applySeen(tx, target.conversationId, target.sentAt, at);
  return updated.map((m) => ({ type: 'message.updated', accountId: target.accountId, conversationId: target.conversationId, messageId: m.id, occurredAt: at }));
}

/**
 * Messages just stored (or just given their mid): what waited for them is applied now, oldest first. `textIsCurrent`
 * when their text was read from Meta (reconciliation, a lookup), so a waiting edit needs no lookup of its own.
 */
export async function applyWaiting(
  tx: Db,
  arrived: readonly ArrivedMessage[],
  opts: TextSource,
): Promise<InboxEvent[]> {
  const rows = await waitingWrites.claimFor(tx, arrived);
  if (rows.length === 0) return [];
  const byId = new Map(arrived.map((m) => [m.id, m]));
  const events: InboxEvent[] = [];
  for (const row of rows) {
    const message = byId.get(row.messageId);
    if (!message) continue;
    if (row.kind === 'reaction') events.push(...(await reactTo(tx, message, row.actor, row.data, row.occurredAt)));
    else if (row.kind === 'edit') events.push(...((await editMessage(tx, message, row.data, row.occurredAt, opts)) ?? []));
    else if (row.actor === 'contact') events.push(...(await seeUpTo(tx, message, row.occurredAt)));
  }
  return events;
}
