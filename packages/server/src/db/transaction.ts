import type { Db } from './client.ts';

type EndHooks = { committed(): void; rolledBack(): void };
const hooksOf = new WeakMap<Db, EndHooks[]>();

/**
 * `db.transaction`, where the code inside may ask to hear how it ended (`onTransactionEnd`): after the commit,
 * or after a rollback (a failed commit included). Work that must not start before the commit goes there, such as
 * handing a CRM delivery written in the transaction to this process's dispatcher.
 */
export async function transaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  const hooks: EndHooks[] = [];
  let result: T;
  try {
    result = await db.transaction(async (tx) => {
      hooksOf.set(tx, hooks);
      return fn(tx);
    });
  } catch (error) {
    for (const h of hooks) h.rolledBack();
    throw error;
  }
  for (const h of hooks) h.committed();
  return result;
}

/**
 * Asks to hear how `tx` ends. Answers false, and registers nothing, when `tx` was not begun by `transaction`
 * (nobody would call the hooks): the caller then does without them. Hooks run synchronously and must not throw.
 */
export function onTransactionEnd(tx: Db, hooks: EndHooks): boolean {
  const list = hooksOf.get(tx);
  if (!list) return false;
  list.push(hooks);
  return true;
}
