import { and, asc, count, eq, inArray, isNull, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../../db/client.ts';
import { accounts, conversations, userAccounts, users, CONVERSATION_STATUSES } from '../../../db/schema/index.ts';

export type ConversationStatusValue = (typeof CONVERSATION_STATUSES)[number];
export type WorkflowState = { id: string; accountId: string; status: ConversationStatusValue; snoozedUntil: Date | null; assigneeUserId: string | null };

const stateColumns = {
  id: conversations.id,
  accountId: conversations.accountId,
  status: conversations.status,
  snoozedUntil: conversations.snoozedUntil,
  assigneeUserId: conversations.assigneeUserId,
};

/** Status and assignment of conversations, and the account's auto-assignment settings. Every function takes the caller's transaction. */
export const workflowRepository = {
  /** The conversation's status and assignee, locked until the caller commits (two changes at once apply one after the other). */
  async lock(tx: Db, accountId: string, conversationId: string): Promise<WorkflowState | undefined> {
    const [row] = await tx
      .select(stateColumns)
      .from(conversations)
      .where(and(eq(conversations.accountId, accountId), eq(conversations.id, conversationId)))
      .for('update');
    return row;
  },

  async setStatus(tx: Db, conversationId: string, status: ConversationStatusValue, snoozedUntil: Date | null, at: Date): Promise<void> {
    await tx.update(conversations).set({ status, snoozedUntil, statusChangedAt: at, updatedAt: at }).where(eq(conversations.id, conversationId));
  },

  async setAssignee(tx: Db, conversationId: string, userId: string | null, at: Date): Promise<void> {
    await tx
      .update(conversations)
      .set({ assigneeUserId: userId, assignedAt: userId ? at : null, updatedAt: at })
      .where(eq(conversations.id, conversationId));
  },

  /** Assigns the conversation to `userId` when nobody has it; answers whether it did. */
  async assignIfUnassigned(tx: Db, conversationId: string, userId: string, at: Date): Promise<boolean> {
    const rows = await tx
      .update(conversations)
      .set({ assigneeUserId: userId, assignedAt: at, updatedAt: at })
      .where(and(eq(conversations.id, conversationId), isNull(conversations.assigneeUserId)))
      .returning({ id: conversations.id });
    return rows.length > 0;
  },

  /** A member of the account with their role and name (enabled users only). */
  async member(tx: Db, accountId: string, userId: string) {
    const [row] = await tx
      .select({ id: users.id, username: users.username, role: userAccounts.role })
      .from(userAccounts)
      .innerJoin(users, eq(users.id, userAccounts.userId))
      .where(and(eq(userAccounts.accountId, accountId), eq(userAccounts.userId, userId), isNull(users.disabledAt)));
    return row;
  },

  async usernames(tx: Db, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await tx.select({ id: users.id, username: users.username }).from(users).where(inArray(users.id, ids));
    return new Map(rows.map((r) => [r.id, r.username]));
  },

  /**
   * Snoozed conversations whose time has come, opened again (at most `limit`, oldest first; rows another process
   * is waking are skipped). Answers what it opened.
   */
  async wakeDue(tx: Db, at: Date, limit: number) {
    return queryRows<{ id: string; account_id: string; snoozed_until: string | Date }>(
      tx,
      sql`with due as (
            select id, snoozed_until from conversations
            where status = 'snoozed' and snoozed_until <= ${at}
            order by snoozed_until limit ${limit} for update skip locked
          )
          update conversations c set status = 'open', snoozed_until = null, status_changed_at = ${at}, updated_at = ${at}
          from due where c.id = due.id
          returning c.id, c.account_id, due.snoozed_until`,
    );
  },

  /** The accounts among `accountIds` that auto-assign, with their cap. */
  async autoAssigning(tx: Db, accountIds: string[]) {
    if (accountIds.length === 0) return new Map<string, number>();
    const rows = await tx
      .select({ id: accounts.id, limit: accounts.autoAssignLimit })
      .from(accounts)
      .where(and(inArray(accounts.id, accountIds), eq(accounts.autoAssignEnabled, true)));
    return new Map(rows.map((r) => [r.id, r.limit]));
  },

  /**
   * Round robin: of the members who receive conversations (admins and owners, enabled) and have fewer than `limit`
   * open conversations assigned here, the one whose last auto-assignment is oldest (never first). The member's row is
   * locked, so two conversations arriving at once go to two members.
   */
  async pickNextAssignee(tx: Db, accountId: string, limit: number) {
    const [row] = await queryRows<{ user_id: string; username: string }>(
      tx,
      sql`select ua.user_id, u.username from user_accounts ua join users u on u.id = ua.user_id
          where ua.account_id = ${accountId} and ua.receives_conversations and ua.role in ('admin', 'owner') and u.disabled_at is null
            and (select count(*) from conversations c
                 where c.assignee_user_id = ua.user_id and c.account_id = ${accountId} and c.status = 'open') < ${limit}
          order by ua.last_auto_assigned_at asc nulls first, ua.linked_at asc, ua.user_id
          limit 1 for update of ua skip locked`,
    );
    return row ? { id: row.user_id, username: row.username } : undefined;
  },

  async markAutoAssigned(tx: Db, accountId: string, userId: string, at: Date): Promise<void> {
    await tx
      .update(userAccounts)
      .set({ lastAutoAssignedAt: at })
      .where(and(eq(userAccounts.accountId, accountId), eq(userAccounts.userId, userId)));
  },

  async settings(tx: Db, accountId: string) {
    const [account] = await tx
      .select({ autoAssign: accounts.autoAssignEnabled, limit: accounts.autoAssignLimit })
      .from(accounts)
      .where(eq(accounts.id, accountId));
    if (!account) return undefined;
    const openCounts = tx
      .select({ userId: conversations.assigneeUserId, n: count().as('n') })
      .from(conversations)
      .where(and(eq(conversations.accountId, accountId), eq(conversations.status, 'open')))
      .groupBy(conversations.assigneeUserId)
      .as('open_counts');
    const members = await tx
      .select({
        userId: users.id,
        username: users.username,
        role: userAccounts.role,
        receives: userAccounts.receivesConversations,
        open: sql<number>`coalesce(${openCounts.n}, 0)::int`,
      })
      .from(userAccounts)
      .innerJoin(users, eq(users.id, userAccounts.userId))
      .leftJoin(openCounts, eq(openCounts.userId, userAccounts.userId))
      .where(and(eq(userAccounts.accountId, accountId), isNull(users.disabledAt)))
      .orderBy(asc(sql`lower(${users.username})`));
    return { ...account, members };
  },

  async updateSettings(tx: Db, accountId: string, patch: { autoAssignEnabled?: boolean; autoAssignLimit?: number }): Promise<void> {
    await tx.update(accounts).set({ ...patch, updatedAt: new Date() }).where(eq(accounts.id, accountId));
  },

  async setReceives(tx: Db, accountId: string, userId: string, receives: boolean): Promise<void> {
    await tx
      .update(userAccounts)
      .set({ receivesConversations: receives })
      .where(and(eq(userAccounts.accountId, accountId), eq(userAccounts.userId, userId)));
  },
};
