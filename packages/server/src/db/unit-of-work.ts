import type { Db } from './client.ts';
import type { accounts } from './schema/index.ts';

type AccountRow = typeof accounts.$inferSelect;

/**
 * Writes what a unit of work recorded, inside it, just before it commits (the CRM outbox, the live-update log): one
 * call per flush with every event recorded since the last one, so a writer can write them set-wise.
 */
export type EventWriter<E> = { write(uow: UnitOfWork<E>, events: readonly E[]): Promise<void> };

/**
 * One transaction and what must happen with it: the events it records (written by the writers before it commits),
 * what must happen once it has committed (announce, hand deliveries to the dispatcher) or rolled back (give back what
 * was reserved for it), and the account rows it has read.
 */
export type UnitOfWork<E> = {
  /** The transaction handle repository functions take. */
  readonly tx: Db;
  /**
   * Account rows read in this unit, kept for the rest of it: webhook processing reads a batch's accounts once to
   * route its events, and what the batch writes afterwards (the CRM outbox) takes them from here.
   */
  readonly accounts: Map<string, AccountRow>;
  /** Notes events; the writers write them at the next `flush`, at the latest just before the commit. */
  record(...events: E[]): void;
  /** Writes the events recorded so far, now (each writer in the order it was assembled). */
  flush(): Promise<void>;
  /** Runs once the transaction has committed; synchronous, and must not throw. */
  afterCommit(fn: () => void): void;
  /** Runs once the transaction has rolled back (a failed commit included); synchronous, and must not throw. */
  onRollback(fn: () => void): void;
};

export type UnitsOfWork<E> = {
  /** The one way to open a transaction: `fn` runs in it, recorded events are flushed before it commits. */
  run<T>(fn: (uow: UnitOfWork<E>) => Promise<T>): Promise<T>;
};

/** Units of work over `db`, whose recorded events go to `writers` (assembled once, in the composition root). */
export function createUnitsOfWork<E>(db: Db, writers: readonly EventWriter<E>[]): UnitsOfWork<E> {
  return {
    async run<T>(fn: (uow: UnitOfWork<E>) => Promise<T>): Promise<T> {
      const committed: (() => void)[] = [];
      const rolledBack: (() => void)[] = [];
      let result: T;
      try {
        result = await db.transaction(async (tx) => {
          let buffered: E[] = [];
          const uow: UnitOfWork<E> = {
            tx,
            accounts: new Map(),
            record: (...events) => void buffered.push(...events),
            async flush() {
              if (buffered.length === 0) return;
              const events = buffered;
              buffered = [];
              for (const writer of writers) await writer.write(uow, events);
            },
            afterCommit: (f) => void committed.push(f),
            onRollback: (f) => void rolledBack.push(f),
          };
          const value = await fn(uow);
          await uow.flush();
          return value;
        });
      } catch (error) {
        for (const f of rolledBack) f();
        throw error;
      }
      for (const f of committed) f();
      return result;
    },
  };
}
