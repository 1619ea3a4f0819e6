import { ref } from 'vue';
import { defineStore } from 'pinia';
import type { AdminUser, WebhookEvent, WebhookEventDetail, WebhookEventStatus } from '@threadline/contract';
import { api } from '../api/index.ts';

/** Instance administration: users, and Meta webhook events that failed or reached no linked account. */
export const useAdminStore = defineStore('admin', () => {
  const users = ref<AdminUser[]>([]);
  const events = ref<WebhookEvent[]>([]);
  /** Events opened in the list, with what became of each of their items. */
  const details = ref<Record<number, WebhookEventDetail>>({});

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

  async function loadEvents(status: WebhookEventStatus) {
    events.value = (await api.admin.webhookEvents(status)).events;
  }

  async function loadEvent(id: number) {
    const detail = await api.admin.webhookEvent(id);
    details.value = { ...details.value, [id]: detail };
    return detail;
  }

  async function reprocess(ids: number[], status: WebhookEventStatus) {
    const r = await api.admin.reprocess(ids);
    await loadEvents(status);
    return r.requeued;
  }

  return { users, events, details, loadUsers, createUser, updateUser, loadEvents, loadEvent, reprocess };
});
