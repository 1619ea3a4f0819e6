import { computed, readonly, ref } from 'vue';
import { defineStore } from 'pinia';
import { api } from '../api/index.ts';

const REFRESH_DELAY_MS = 800;

/**
 * How many conversations have unread messages, per account of the person and in all (the account switcher, the tab
 * title). Read from the server, again shortly after live events that may change it (a burst is one read).
 */
export const useUnreadStore = defineStore('unread', () => {
  const byAccount = ref(new Map<string, number>());
  const total = computed(() => [...byAccount.value.values()].reduce((n, v) => n + v, 0));
  let inFlight: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  function load(): Promise<void> {
    inFlight ??= api.inbox
      .unread()
      .then((r) => {
        byAccount.value = new Map(r.accounts.map((a) => [a.account_id, a.unread_conversations]));
      })
      .catch(() => undefined) // the next event or load tries again; a count is not worth an error on screen
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  }

  function refreshSoon() {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      void load();
    }, REFRESH_DELAY_MS);
  }

  return { byAccount: readonly(byAccount), total, of: (accountId: string) => byAccount.value.get(accountId) ?? 0, load, refreshSoon };
});
