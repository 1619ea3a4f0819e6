import { computed, readonly, ref } from 'vue';
import { defineStore } from 'pinia';
import type { AccountSummary } from '@threadline/contract';
import { api } from '../api/index.ts';
import { useSessionStore } from './session.ts';

/** The signed-in user's linked Instagram accounts, normalized by id, primary first as the server orders them. */
export const useAccountsStore = defineStore('accounts', () => {
  const byId = ref(new Map<string, AccountSummary>());
  const order = ref<string[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  let inFlight: Promise<void> | null = null;

  const list = computed(() => order.value.map((id) => byId.value.get(id)).filter((a): a is AccountSummary => a !== undefined));
  const current = computed(() => {
    const session = useSessionStore();
    return (session.accountId && byId.value.get(session.accountId)) || null;
  });
  const needsReauth = computed(() => list.value.filter((a) => a.status === 'reauth_required'));

  function replace(accounts: AccountSummary[]) {
    byId.value = new Map(accounts.map((a) => [a.id, a]));
    order.value = accounts.map((a) => a.id);
    loaded.value = true;
  }

  function load(force = false): Promise<void> {
    if (loaded.value && !force) return Promise.resolve();
    inFlight ??= api.accounts
      .list()
      .then((r) => {
        replace(r.accounts);
        error.value = null;
      })
      .catch((e: unknown) => {
        error.value = e instanceof Error ? e.message : 'Could not load accounts.';
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  }

  async function setPrimary(id: string) {
    await api.accounts.setPrimary(id);
    await load(true);
  }

  async function unlink(id: string) {
    await api.accounts.unlink(id);
    await load(true);
  }

  /** A live `account.*` event: the list is small, so reload it. */
  function markStatus(id: string, status: AccountSummary['status']) {
    const a = byId.value.get(id);
    if (a) byId.value.set(id, { ...a, status });
  }

  function reset() {
    byId.value = new Map();
    order.value = [];
    loaded.value = false;
  }

  return { list, current, needsReauth, loaded: readonly(loaded), error: readonly(error), get: (id: string) => byId.value.get(id) ?? null, load, setPrimary, unlink, markStatus, replace, reset };
});
