import { readonly, ref } from 'vue';
import { defineStore } from 'pinia';
import type { Label } from '@threadline/contract';
import { api } from '../api/index.ts';

const byName = (a: Label, b: Label) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' });

/** Labels by account (entities by id per account), loaded once per account, one load in flight per account. */
export const useLabelsStore = defineStore('labels', () => {
  const byAccount = ref(new Map<string, Map<string, Label>>());
  const inFlight = new Map<string, Promise<void>>();

  function list(accountId: string | null): Label[] {
    return [...(accountId ? (byAccount.value.get(accountId)?.values() ?? []) : [])].sort(byName);
  }

  function load(accountId: string, force = false): Promise<void> {
    if (byAccount.value.has(accountId) && !force) return Promise.resolve();
    const running = inFlight.get(accountId);
    if (running) return running;
    const p = api.labels
      .list(accountId)
      .then((r) => {
        byAccount.value.set(accountId, new Map(r.labels.map((l) => [l.id, l])));
      })
      .finally(() => inFlight.delete(accountId));
    inFlight.set(accountId, p);
    return p;
  }

  function put(label: Label) {
    const map = byAccount.value.get(label.account_id) ?? new Map<string, Label>();
    map.set(label.id, label);
    byAccount.value.set(label.account_id, map);
  }

  async function create(accountId: string, name: string, color: string) {
    put(await api.labels.create(accountId, name, color));
  }
  async function update(accountId: string, labelId: string, patch: { name?: string; color?: string }) {
    put(await api.labels.update(accountId, labelId, patch));
  }
  async function remove(accountId: string, labelId: string) {
    await api.labels.remove(accountId, labelId);
    byAccount.value.get(accountId)?.delete(labelId);
  }

  return { byAccount: readonly(byAccount), list, load, create, update, remove };
});
