import { and, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { fixedRows } from '../../db/client.ts';
import { waitingEvents, type WaitingData, type WaitingKind } from '../../db/schema/index.ts';

export type WaitingRow = typeof waitingEvents.$inferSelect;

/** A message that has just been stored or given its mid: what waits for it can now be applied. */
export type ArrivedMessage = { id: string; accountId: string; mid: string; conversationId: string; sentAt: Date };

/** Marks every waiting row of the arrived messages applied, in one statement; answers them, oldest event first. */
const CLAIM_SQL = `
update waiting_events w set applied_at = now(), message_id = v.id
from unnest($1::uuid[], $2::text[], $3::uuid[]) as v(account_id, mid, id)
where w.account_id = v.account_id and w.mid = v.mid and w.applied_at is null
returning w.id, w.kind, w.actor, w.data, w.occurred_at, w.message_id`;

type ClaimedRow = { id: string | number; kind: WaitingKind; actor: 'contact' | 'business'; data: WaitingData; occurred_at: Date | string; message_id: string };

/** Queries of the events waiting for their message (§3.7). Every function takes the caller's transaction. */
export const waitingWrites = {
  /** Keeps one webhook item's event until its message arrives; processing the same raw event again adds nothing. */
  async insert(
    tx: Db,
    values: {
      accountId: string;
      mid: string;
      kind: WaitingKind;
      actor: 'contact' | 'business';
      conversationId: string | null;
      data: WaitingData;
      occurredAt: Date;
      webhookEventId: number | null;
      itemPath: string | null;
    },
  ): Promise<void> {
    await tx.insert(waitingEvents).values(values).onConflictDoNothing();
  },

  /** What waited for these messages, now theirs (each row at most once, whatever runs at the same time). */
  async claimFor(tx: Db, arrived: readonly ArrivedMessage[]) {
    if (arrived.length === 0) return [];
    const rows = await fixedRows<ClaimedRow>(tx, CLAIM_SQL, [
      arrived.map((m) => m.accountId),
      arrived.map((m) => m.mid),
      arrived.map((m) => m.id),
    ]);
    return rows
      .map((r) => ({ id: Number(r.id), kind: r.kind, actor: r.actor, data: r.data, occurredAt: new Date(r.occurred_at), messageId: r.message_id }))
      .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.id - b.id);
  },
};

/** Reads for the administrators' view, and the retention clean-up. */
export function createWaitingEventsRepository(db: Db) {
  return {
    /** The waiting rows recorded by these raw events (applied or not). */
    async ofWebhookEvents(webhookEventIds: number[]) {
      if (webhookEventIds.length === 0) return [];
      return db
        .select({
          webhookEventId: waitingEvents.webhookEventId,
          itemPath: waitingEvents.itemPath,
          mid: waitingEvents.mid,
          kind: waitingEvents.kind,
          appliedAt: waitingEvents.appliedAt,
          messageId: waitingEvents.messageId,
        })
        .from(waitingEvents)
        .where(inArray(waitingEvents.webhookEventId, webhookEventIds));
    },

    /** How many items of each raw event still wait for their message. */
    async stillWaiting(webhookEventIds: number[]): Promise<Map<number, number>> {
      if (webhookEventIds.length === 0) return new Map();
      const rows = await db
        .select({ id: waitingEvents.webhookEventId, n: sql<number>`count(*)::int` })
        .from(waitingEvents)
        .where(and(inArray(waitingEvents.webhookEventId, webhookEventIds), isNull(waitingEvents.appliedAt)))
        .groupBy(waitingEvents.webhookEventId);
      return new Map(rows.map((r) => [Number(r.id), Number(r.n)]));
    },

    /** An event waiting longer than the retention of raw events is given up (reconciliation reads 20 messages back). */
    async deleteOlderThan(cutoff: Date): Promise<number> {
      const rows = await db.delete(waitingEvents).where(lt(waitingEvents.createdAt, cutoff)).returning({ id: waitingEvents.id });
      return rows.length;
    },

    /** Tests and the CLI: the rows still waiting for a message of an account. */
    async waitingFor(accountId: string, mid: string) {
      return db
        .select()
        .from(waitingEvents)
        .where(and(eq(waitingEvents.accountId, accountId), eq(waitingEvents.mid, mid), isNull(waitingEvents.appliedAt)));
    },
  };
}
export type WaitingEventsRepository = ReturnType<typeof createWaitingEventsRepository>;
