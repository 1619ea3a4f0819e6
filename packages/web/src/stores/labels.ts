import { defineStore } from 'pinia';
import type { Label } from '@threadline/contract';
import { api } from '../api/index.ts';
import { accountCollection } from './account-collection.ts';

/** Labels by account, by name. */
export const useLabelsStore = defineStore('labels', () => {
  const labels = accountCollection<Label>(
    async (accountId) => (await api.labels.list(accountId)).labels,
    (a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }),
  );

  async function create(accountId: string, name: string, color: string) {
    labels.put(await api.labels.create(accountId, name, color));
  }
  async function update(accountId: string, labelId: string, patch: { name?: string; color?: string }) {
    labels.put(await api.labels.update(accountId, labelId, patch));
  }
  async function remove(accountId: string, labelId: string) {
    await api.labels.remove(accountId, labelId);
    labels.drop(accountId, labelId);
  }

  return { byAccount: labels.byAccount, list: labels.list, load: labels.load, create, update, remove };
});
