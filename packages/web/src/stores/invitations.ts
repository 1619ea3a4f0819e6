import { computed, readonly, ref } from 'vue';
import { defineStore } from 'pinia';
import type { AccountRole, Invitation } from '@threadline/contract';
import { api } from '../api/index.ts';

/** The invitation links of the account whose members settings are open: made, listed, revoked. */
export const useInvitationsStore = defineStore('invitations', () => {
  const accountId = ref<string | null>(null);
  const byId = ref(new Map<string, Invitation>());
  let inFlight: Promise<void> | null = null;

  const list = computed(() => [...byId.value.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1)));
  const pending = computed(() => list.value.filter((i) => i.status === 'pending'));

  function need(): string {
    if (!accountId.value) throw new Error('No account is selected.');
    return accountId.value;
  }

  /** Loads the account's invitations; one load in flight per account. */
  function load(id: string): Promise<void> {
    if (accountId.value !== id) {
      accountId.value = id;
      byId.value = new Map();
      inFlight = null;
    }
    inFlight ??= api.teammates
      .invitations(id)
      .then((r) => {
        if (accountId.value === id) byId.value = new Map(r.invitations.map((i) => [i.id, i]));
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  }

  /** Makes a link; answers its URL, which the server shows this once. */
  async function create(role: AccountRole, expiresInHours: number): Promise<string> {
    const { url, ...made } = await api.teammates.invite(need(), role, expiresInHours);
    byId.value.set(made.id, made);
    return url;
  }

  async function revoke(invitationId: string): Promise<void> {
    const revoked = await api.teammates.revoke(need(), invitationId);
    byId.value.set(revoked.id, revoked);
  }

  return { accountId: readonly(accountId), list, pending, load, create, revoke };
});
