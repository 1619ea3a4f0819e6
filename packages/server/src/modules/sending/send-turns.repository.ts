import { epochMs, fixedRows, type Db } from '../../db/client.ts';

/**
 * The send limiter's turns in `rate_limit_counters` (see send-rate-limiter.ts): one fixed statement takes a turn,
 * another reads when the next is free. Timestamps go in as ISO text and come back as epoch milliseconds.
 */
export function createSendTurnsRepository(db: Db) {
  return {
    /**
     * Takes the next turn of `key`, `spacingMs` after the last one (or `firstTurn` when there is none), unless that
     * turn is later than `latest`; answers the turn's end (epoch ms), or undefined when none was taken.
     */
    async take(key: string, firstTurn: string, now: string, spacingMs: number, latest: string, tx: Db = db): Promise<number | undefined> {
      const [taken] = await fixedRows<{ next: number }>(
        tx,
        `insert into rate_limit_counters (key, count, reset_at) values ($1, 1, $2::timestamptz)
         on conflict (key) do update
           set reset_at = greatest(rate_limit_counters.reset_at, $3::timestamptz) + make_interval(secs => $4::float8 / 1000)
           where rate_limit_counters.reset_at <= $5::timestamptz
         returning ${epochMs('reset_at')} as next`,
        [key, firstTurn, now, spacingMs, latest],
      );
      return taken?.next;
    },
    /** When the next turn of `key` is free (epoch ms), if it has any. */
    async nextFree(key: string, tx: Db = db): Promise<number | undefined> {
      const [row] = await fixedRows<{ next: number }>(tx, `select ${epochMs('reset_at')} as next from rate_limit_counters where key = $1`, [key]);
      return row?.next;
    },
  };
}
