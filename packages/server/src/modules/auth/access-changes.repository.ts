import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';

/**
 * Who may read what changed for a user (a membership removed or its role changed, the user disabled, a session
 * ended): announced on this PostgreSQL channel with the user's id, inside the transaction that made the change, so
 * every process hears it when it commits and re-checks that user's live streams (realtime.routes.ts).
 */
export const ACCESS_CHANNEL = 'threadline_access';

export async function announceAccessChange(tx: Db, userIds: readonly string[]): Promise<void> {
  for (const userId of new Set(userIds)) {
    await tx.execute(sql`select pg_notify(${ACCESS_CHANNEL}, ${userId})`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The user id of a notification on ACCESS_CHANNEL, or null for anything else. */
export function parseAccessChange(payload: string): string | null {
  return UUID.test(payload) ? payload : null;
}
