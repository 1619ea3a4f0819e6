import { defineStore } from 'pinia';
import type { CannedReply } from '@threadline/contract';
import { api } from '../api/index.ts';
import { accountCollection } from './account-collection.ts';

/** Canned replies by account, by shortcut. */
export const useCannedRepliesStore = defineStore('canned-replies', () => {
  const replies = accountCollection<CannedReply>(
    async (accountId) => (await api.cannedReplies.list(accountId)).canned_replies,
    (a, b) => a.shortcut.localeCompare(b.shortcut),
  );

  /** The replies whose shortcut or text contains `q` (case-insensitively), shortcuts that start with it first. */
  function search(accountId: string | null, q: string): CannedReply[] {
    const needle = q.toLowerCase();
    const found = replies.list(accountId).filter((r) => r.shortcut.includes(needle) || r.text.toLowerCase().includes(needle));
    return [...found.filter((r) => r.shortcut.startsWith(needle)), ...found.filter((r) => !r.shortcut.startsWith(needle))];
  }

  async function create(accountId: string, shortcut: string, text: string) {
    replies.put(await api.cannedReplies.create(accountId, shortcut, text));
  }
  async function update(accountId: string, replyId: string, patch: { shortcut?: string; text?: string }) {
    replies.put(await api.cannedReplies.update(accountId, replyId, patch));
  }
  async function remove(accountId: string, replyId: string) {
    await api.cannedReplies.remove(accountId, replyId);
    replies.drop(accountId, replyId);
  }

  return { byAccount: replies.byAccount, list: replies.list, load: replies.load, search, create, update, remove };
});
