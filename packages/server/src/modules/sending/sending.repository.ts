import { and, eq, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { messages, processes } from '../../db/schema/index.ts';

/** The send queue's rows as the recovery of stopped processes sees them. */
export function createSendingRepository(db: Db) {
  return {
    /**
     * Messages left `sending` by a process that stopped beating (killed mid-call): whether Meta got the call is not
     * known, so they become `unknown` (settled later from the echo or the conversations API, never re-sent blindly).
     * Answers the rows changed.
     */
    async markUnknownWhereSenderStopped(deadAfterMs: number, errorMessage: string, tx: Db = db) {
      return tx
        .update(messages)
        .set({ status: 'unknown', sendingBy: null, errorMessage, updatedAt: new Date() })
        .where(
          and(
            eq(messages.status, 'sending'),
            isNotNull(messages.sendingBy),
            sql`not exists (select 1 from ${processes} p where p.id = ${messages.sendingBy}
                  and p.heartbeat_at >= now() - make_interval(secs => ${deadAfterMs / 1000}))`,
          ),
        )
        .returning({ id: messages.id, accountId: messages.accountId, conversationId: messages.conversationId });
    },
  };
}
export type SendingRepository = ReturnType<typeof createSendingRepository>;
