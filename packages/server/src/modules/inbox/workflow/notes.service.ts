import { mentionedUsernames, NOTE_TEXT_MAX_CHARS, type Note, type Notification } from '@threadline/contract';
import type { Db } from '../../../db/client.ts';
import type { AuditLog } from '../../audit/audit.repository.ts';
import type { RequestAuth } from '../../auth/auth.plugin.ts';
import { recordAll, type InboxEvent, type InboxUnitsOfWork } from '../../../events/inbox-events.ts';
import type { InboxService } from '../inbox.service.ts';
import { notesRepository as repo, type NoteRow, type NoteWithNames } from './notes.repository.ts';
import { workflowErrors } from './workflow.errors.ts';
import { actorOf, auditActor, type RequestMeta } from './workflow.service.ts';

export type NotesServiceDeps = {
  db: Db;
  units: InboxUnitsOfWork;
  inbox: Pick<InboxService, 'conversation'>;
  audit: AuditLog;
  now: () => Date;
};

const EXCERPT = 140;

export function presentNote(n: NoteWithNames): Note {
  return {
    id: n.id,
    conversation_id: n.conversationId,
    author: n.authorUserId
      ? { type: 'user', id: n.authorUserId, name: n.authorName }
      : { type: 'api_key', id: n.authorApiKeyId, name: n.authorName },
    text: n.text,
    mentions: n.mentions,
    created_at: n.createdAt.toISOString(),
    updated_at: n.updatedAt.toISOString(),
    edited: n.editedAt !== null,
  };
}

/**
 * Internal notes: every member (viewers included) reads and writes them, only their author edits or deletes them,
 * and nothing of them goes to Instagram. `@username` of a member makes a notification for them (once per note).
 */
export function createNotesService(deps: NotesServiceDeps) {
  const { db, units, now } = deps;

  function checkLength(text: string) {
    // the schema refuses it first; the service holds the same rule for any caller
    if (text.length > NOTE_TEXT_MAX_CHARS) throw workflowErrors.noteTooLong(NOTE_TEXT_MAX_CHARS, text.length);
  }

  /** The account's members named with `@username` in `text` (never the author). */
  async function mentionedMembers(tx: Db, accountId: string, text: string, authorUserId: string | null): Promise<string[]> {
    return (await repo.membersByUsernames(tx, accountId, mentionedUsernames(text))).filter((m) => m.id !== authorUserId).map((m) => m.id);
  }

  /** Notifies the mentioned members not yet notified of this note; answers the live events. */
  async function notifyMentioned(tx: Db, note: NoteRow, authorUserId: string | null, at: Date): Promise<InboxEvent[]> {
    const notified = await repo.notify(
      tx,
      note.mentionUserIds.map((userId) => ({
        userId,
        accountId: note.accountId,
        conversationId: note.conversationId,
        noteId: note.id,
        kind: 'mention' as const,
        actorUserId: authorUserId,
        excerpt: note.text.slice(0, EXCERPT),
      })),
    );
    return notified.map((userId) => ({
      type: 'note.mentioned' as const,
      accountId: note.accountId,
      conversationId: note.conversationId,
      occurredAt: at,
      live: { note_id: note.id, user_id: userId, by_user_id: authorUserId },
    }));
  }

  /** The note, locked, when the caller wrote it (`accountId`: of the conversation, checked before the transaction). */
  async function editable(auth: RequestAuth, accountId: string, conversationId: string, noteId: string, tx: Db) {
    const note = await repo.get(tx, accountId, conversationId, noteId);
    if (!note) throw workflowErrors.noteNotFound();
    const mine = auth.kind === 'session' ? note.authorUserId === auth.userId : note.authorApiKeyId === auth.keyId;
    if (!mine) throw workflowErrors.notNoteAuthor();
    return note;
  }

  return {
    async list(auth: RequestAuth, conversationId: string): Promise<{ notes: Note[] }> {
      const conv = await deps.inbox.conversation(auth, conversationId, 'viewer');
      return { notes: (await repo.list(db, conv.conversation.accountId, conversationId)).map(presentNote) };
    },

    async create(auth: RequestAuth, conversationId: string, text: string, meta: RequestMeta = {}): Promise<Note> {
      checkLength(text);
      const conv = await deps.inbox.conversation(auth, conversationId, 'viewer');
      const accountId = conv.conversation.accountId;
      const at = now();
      const authorUserId = auth.kind === 'session' ? auth.userId : null;
      const note = await units.run(async (uow) => {
        const { tx } = uow;
        const row = await repo.insert(tx, {
          accountId,
          conversationId,
          authorUserId,
          authorApiKeyId: auth.kind === 'api_key' ? auth.keyId : null,
          text,
          mentionUserIds: await mentionedMembers(tx, accountId, text, authorUserId),
          createdAt: at,
          updatedAt: at,
        });
        const named = await repo.named(tx, row);
        const by = actorOf(auth);
        await recordAll(uow, [
          {
            type: 'note.created',
            accountId,
            conversationId,
            occurredAt: at,
            crm: { note: { id: row.id, text, author: { ...by, name: named.authorName }, created_at: at.toISOString() } },
            live: { note_id: row.id, by: by.name },
          },
          ...(await notifyMentioned(tx, row, authorUserId, at)),
        ]);
        await deps.audit({ action: 'notes.created', ...auditActor(auth), accountId, target: row.id, details: { conversation_id: conversationId, mentions: row.mentionUserIds }, ...meta }, tx);
        return named;
      });
      return presentNote(note);
    },

    async update(auth: RequestAuth, conversationId: string, noteId: string, text: string, meta: RequestMeta = {}): Promise<Note> {
      checkLength(text);
      const at = now();
      const { accountId } = (await deps.inbox.conversation(auth, conversationId, 'viewer')).conversation;
      const note = await units.run(async (uow) => {
        const { tx } = uow;
        const old = await editable(auth, accountId, conversationId, noteId, tx);
        const authorUserId = auth.kind === 'session' ? auth.userId : null;
        const saved = await repo.update(tx, noteId, text, await mentionedMembers(tx, old.accountId, text, authorUserId), at);
        await recordAll(uow, [
          { type: 'note.updated', accountId: old.accountId, conversationId, occurredAt: at, live: { note_id: noteId } },
          ...(await notifyMentioned(tx, saved, authorUserId, at)),
        ]);
        await deps.audit({ action: 'notes.updated', ...auditActor(auth), accountId: old.accountId, target: noteId, ...meta }, tx);
        return repo.named(tx, saved);
      });
      return presentNote(note);
    },

    async remove(auth: RequestAuth, conversationId: string, noteId: string, meta: RequestMeta = {}): Promise<void> {
      const at = now();
      const { accountId } = (await deps.inbox.conversation(auth, conversationId, 'viewer')).conversation;
      await units.run(async (uow) => {
        const { tx } = uow;
        const old = await editable(auth, accountId, conversationId, noteId, tx);
        await repo.delete(tx, noteId);
        await recordAll(uow, [{ type: 'note.deleted', accountId: old.accountId, conversationId, occurredAt: at, live: { note_id: noteId } }]);
        await deps.audit({ action: 'notes.deleted', ...auditActor(auth), accountId: old.accountId, target: noteId, ...meta }, tx);
      });
    },

    async notifications(userId: string): Promise<{ notifications: Notification[]; unread: number }> {
      const { rows, unread } = await repo.notifications(db, userId, 100);
      return {
        unread: Number(unread),
        notifications: rows.map(({ n, actorName }) => ({
          id: n.id,
          kind: n.kind,
          account_id: n.accountId,
          conversation_id: n.conversationId,
          note_id: n.noteId,
          by: n.actorUserId && actorName ? { id: n.actorUserId, username: actorName } : null,
          excerpt: n.excerpt,
          created_at: n.createdAt.toISOString(),
          read_at: n.readAt?.toISOString() ?? null,
        })),
      };
    },

    async markNotificationsRead(userId: string, ids: string[] | undefined): Promise<void> {
      await repo.markRead(db, userId, ids, now());
    },
  };
}
export type NotesService = ReturnType<typeof createNotesService>;
