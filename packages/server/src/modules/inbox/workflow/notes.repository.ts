import { and, asc, count, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';
import { apiKeys, conversationNotes, userAccounts, userNotifications, users } from '../../../db/schema/index.ts';

export type NoteRow = typeof conversationNotes.$inferSelect;
/** A note with its author's name and its mentioned members' names. */
export type NoteWithNames = NoteRow & { authorName: string | null; mentions: { id: string; username: string }[] };

/** A conversation's notes shown beside its messages (the newest 500: a thread of more notes is not a thread). */
const NOTES_PER_THREAD = 500;

/** Internal notes and the notifications their @mentions make. Every function takes the caller's transaction. */
export const notesRepository = {
  async list(tx: Db, accountId: string, conversationId: string): Promise<NoteWithNames[]> {
    const rows = await tx
      .select({ note: conversationNotes, userName: users.username, keyName: apiKeys.name })
      .from(conversationNotes)
      .leftJoin(users, eq(users.id, conversationNotes.authorUserId))
      .leftJoin(apiKeys, eq(apiKeys.id, conversationNotes.authorApiKeyId))
      .where(and(eq(conversationNotes.accountId, accountId), eq(conversationNotes.conversationId, conversationId)))
      .orderBy(desc(conversationNotes.createdAt), desc(conversationNotes.id))
      .limit(NOTES_PER_THREAD);
    return withMentionNames(tx, rows.reverse().map((r) => ({ ...r.note, authorName: r.userName ?? r.keyName ?? null })));
  },

  async get(tx: Db, accountId: string, conversationId: string, noteId: string): Promise<NoteRow | undefined> {
    const [row] = await tx
      .select()
      .from(conversationNotes)
      .where(and(eq(conversationNotes.accountId, accountId), eq(conversationNotes.conversationId, conversationId), eq(conversationNotes.id, noteId)))
      .for('update');
    return row;
  },

  async named(tx: Db, row: NoteRow): Promise<NoteWithNames> {
    const [authorName] = row.authorUserId
      ? (await tx.select({ name: users.username }).from(users).where(eq(users.id, row.authorUserId))).map((r) => r.name)
      : row.authorApiKeyId
        ? (await tx.select({ name: apiKeys.name }).from(apiKeys).where(eq(apiKeys.id, row.authorApiKeyId))).map((r) => r.name)
        : [];
    const [named] = await withMentionNames(tx, [{ ...row, authorName: authorName ?? null }]);
    if (!named) throw new Error('note vanished');
    return named;
  },

  async insert(tx: Db, values: typeof conversationNotes.$inferInsert): Promise<NoteRow> {
    const [row] = await tx.insert(conversationNotes).values(values).returning();
    if (!row) throw new Error('note insert returned nothing');
    return row;
  },

  async update(tx: Db, noteId: string, text: string, mentionUserIds: string[], at: Date): Promise<NoteRow> {
    const [row] = await tx
      .update(conversationNotes)
      .set({ text, mentionUserIds, editedAt: at, updatedAt: at })
      .where(eq(conversationNotes.id, noteId))
      .returning();
    if (!row) throw new Error('note update returned nothing');
    return row;
  },

  async delete(tx: Db, noteId: string): Promise<void> {
    await tx.delete(conversationNotes).where(eq(conversationNotes.id, noteId));
  },

  /** The account's enabled members named (case-insensitively) among `usernames`. */
  async membersByUsernames(tx: Db, accountId: string, usernames: string[]) {
    if (usernames.length === 0) return [];
    return tx
      .select({ id: users.id, username: users.username })
      .from(userAccounts)
      .innerJoin(users, eq(users.id, userAccounts.userId))
      .where(and(eq(userAccounts.accountId, accountId), isNull(users.disabledAt), inArray(sql`lower(${users.username})`, usernames)));
  },

  /** One mention notification per note and member (a mention kept through an edit is not notified twice). */
  async notify(tx: Db, rows: (typeof userNotifications.$inferInsert)[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const inserted = await tx
      .insert(userNotifications)
      .values(rows)
      .onConflictDoNothing({ target: [userNotifications.noteId, userNotifications.userId] })
      .returning({ userId: userNotifications.userId });
    return inserted.map((r) => r.userId);
  },

  async notifications(tx: Db, userId: string, limit: number) {
    const actor = users;
    const [rows, [unread]] = await Promise.all([
      tx
        .select({ n: userNotifications, actorName: actor.username })
        .from(userNotifications)
        .leftJoin(actor, eq(actor.id, userNotifications.actorUserId))
        .innerJoin(userAccounts, and(eq(userAccounts.accountId, userNotifications.accountId), eq(userAccounts.userId, userNotifications.userId)))
        .where(eq(userNotifications.userId, userId))
        .orderBy(desc(userNotifications.createdAt), asc(userNotifications.id))
        .limit(limit),
      tx
        .select({ n: count() })
        .from(userNotifications)
        .innerJoin(userAccounts, and(eq(userAccounts.accountId, userNotifications.accountId), eq(userAccounts.userId, userNotifications.userId)))
        .where(and(eq(userNotifications.userId, userId), isNull(userNotifications.readAt))),
    ]);
    return { rows, unread: unread?.n ?? 0 };
  },

  async markRead(tx: Db, userId: string, ids: string[] | undefined, at: Date): Promise<void> {
    await tx
      .update(userNotifications)
      .set({ readAt: at })
      .where(and(eq(userNotifications.userId, userId), isNull(userNotifications.readAt), ids ? inArray(userNotifications.id, ids) : undefined));
  },
};

async function withMentionNames(tx: Db, rows: (NoteRow & { authorName: string | null })[]): Promise<NoteWithNames[]> {
  const ids = [...new Set(rows.flatMap((r) => r.mentionUserIds))];
  const names = ids.length
    ? new Map((await tx.select({ id: users.id, username: users.username }).from(users).where(inArray(users.id, ids))).map((u) => [u.id, u.username]))
    : new Map<string, string>();
  return rows.map((r) => ({
    ...r,
    mentions: r.mentionUserIds.flatMap((id) => {
      const username = names.get(id);
      return username ? [{ id, username }] : [];
    }),
  }));
}
