import { ref } from 'vue';
import { defineStore } from 'pinia';
import type { AdminUser, WebhookEvent } from '@threadline/contract';
import { api } from '../api/index.ts';

/** Instance administration: users, and Meta webhook events that failed or reached no linked account. */
export const useAdminStore = defineStore('admin', () => {
  const users = ref<AdminUser[]>([]);
  const events = ref<WebhookEvent[]>([]);

  async function loadUsers() {
    users.value = (await api.admin.users()).users;
  }

  async function createUser(username: string, password: string, isAdmin: boolean) {
    const u = await api.admin.createUser(username, password, isAdmin);
    users.value = [...users.value, u];
  }

  async function updateUser(id: string, patch: { disabled?: boolean; is_admin?: boolean }) {
    const u = await api.admin.updateUser(id, patch);
    users.value = users.value.map((x) => (x.id === id ? u : x));
  }

  async function loadEvents(status: string) {
    events.value = (await api.admin.webhookEvents(status)).events;
  }

  async function reprocess(ids: number[], status: string) {
    const r = await api.admin.reprocess(ids);
    await loadEvents(status);
    return r.requeued;
  }

  return { users, events, loadUsers, createUser, updateUser, loadEvents, reprocess };
});
