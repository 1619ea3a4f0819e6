import { shallowReadonly, shallowRef, triggerRef } from 'vue';

/**
 * Entities that belong to an account (labels, canned replies): kept by id per account, loaded once per account with
 * one load in flight per account, listed in `order`. For use inside a Pinia setup store.
 */
export function accountCollection<T extends { id: string; account_id: string }>(fetchAll: (accountId: string) => Promise<T[]>, order: (a: T, b: T) => number) {
  // shallow: entities are replaced whole, never changed in place (so no deep proxies); changes call triggerRef
  const byAccount = shallowRef(new Map<string, Map<string, T>>());
  const inFlight = new Map<string, Promise<void>>();

  function list(accountId: string | null): T[] {
    const map = accountId ? byAccount.value.get(accountId) : undefined;
    return [...(map?.values() ?? [])].sort(order);
  }

  function load(accountId: string, force = false): Promise<void> {
    if (byAccount.value.has(accountId) && !force) return Promise.resolve();
    const running = inFlight.get(accountId);
    if (running) return running;
    const p = fetchAll(accountId)
      .then((items) => {
        byAccount.value.set(accountId, new Map(items.map((i) => [i.id, i])));
        triggerRef(byAccount);
      })
      .finally(() => inFlight.delete(accountId));
    inFlight.set(accountId, p);
    return p;
  }

  function put(item: T) {
    const map = byAccount.value.get(item.account_id) ?? new Map<string, T>();
    map.set(item.id, item);
    byAccount.value.set(item.account_id, map);
    triggerRef(byAccount);
  }

  function drop(accountId: string, id: string) {
    byAccount.value.get(accountId)?.delete(id);
    triggerRef(byAccount);
  }

  return { byAccount: shallowReadonly(byAccount), list, load, put, drop };
}
