import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import type { AccountCrm, AccountMember, AccountRole, ApiKey, ApiKeyScope, CrmDelivery as Delivery, CrmDeliveryStatus, CrmTestResult, WebhookSecret } from '@threadline/contract';
import { api } from '../api/index.ts';

/** Settings of one account at a time (the one the settings page shows): API keys, CRM forwarding, members. */
export const useSettingsStore = defineStore('settings', () => {
  const accountId = ref<string | null>(null);
  const apiKeysById = ref(new Map<string, ApiKey>());
  const crm = ref<AccountCrm | null>(null);
  const secret = ref<WebhookSecret | null>(null);
  const deliveries = ref<Delivery[]>([]);
  const deliveriesCursor = ref<string | null>(null);
  const lastTest = ref<CrmTestResult | null>(null);
  const members = ref<AccountMember[]>([]);

  const apiKeys = computed(() => [...apiKeysById.value.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1)));

  function focus(id: string) {
    if (accountId.value === id) return;
    accountId.value = id;
    apiKeysById.value = new Map();
    crm.value = null;
    secret.value = null;
    deliveries.value = [];
    deliveriesCursor.value = null;
    lastTest.value = null;
    members.value = [];
  }

  function need(): string {
    if (!accountId.value) throw new Error('No account is selected.');
    return accountId.value;
  }

  async function loadApiKeys() {
    const r = await api.apiKeys.list(need());
    apiKeysById.value = new Map(r.api_keys.map((k) => [k.id, k]));
  }

  /** Returns the key itself, which the server shows this once. */
  async function createApiKey(name: string, scopes: ApiKeyScope[]): Promise<string> {
    const created = await api.apiKeys.create(need(), name, scopes);
    const { key, ...rest } = created;
    apiKeysById.value.set(rest.id, rest);
    return key;
  }

  async function revokeApiKey(keyId: string) {
    const revoked = await api.apiKeys.revoke(need(), keyId);
    apiKeysById.value.set(revoked.id, revoked);
  }

  async function loadCrm() {
    crm.value = await api.crm.get(need());
  }

  async function setCrmUrl(url: string | null) {
    crm.value = await api.crm.setUrl(need(), url);
  }

  async function revealSecret() {
    secret.value = await api.crm.secret(need());
  }

  function hideSecret() {
    secret.value = null;
  }

  async function rotateSecret() {
    secret.value = await api.crm.rotateSecret(need());
    await loadCrm();
  }

  async function sendTest() {
    lastTest.value = await api.crm.test(need());
    await loadDeliveries();
  }

  async function loadDeliveries(status?: CrmDeliveryStatus) {
    const r = await api.crm.deliveries(need(), status ? { status } : {});
    deliveries.value = r.deliveries;
    deliveriesCursor.value = r.next_cursor;
  }

  async function moreDeliveries(status?: CrmDeliveryStatus) {
    if (!deliveriesCursor.value) return;
    const r = await api.crm.deliveries(need(), { ...(status ? { status } : {}), cursor: deliveriesCursor.value });
    deliveries.value = [...deliveries.value, ...r.deliveries.filter((d) => !deliveries.value.some((x) => x.id === d.id))];
    deliveriesCursor.value = r.next_cursor;
  }

  async function retryDelivery(id: string) {
    const d = await api.crm.retry(need(), id);
    deliveries.value = deliveries.value.map((x) => (x.id === id ? d : x));
  }

  async function recover(since: Date) {
    const r = await api.crm.recover(need(), since.toISOString());
    await loadDeliveries();
    return r.requeued;
  }

  async function loadMembers() {
    members.value = (await api.accounts.members(need())).members;
  }

  async function addMember(username: string, role: AccountRole) {
    await api.accounts.addMember(need(), username, role);
    await loadMembers();
  }

  async function setMemberRole(userId: string, role: AccountRole) {
    await api.accounts.updateMember(need(), userId, role);
    await loadMembers();
  }

  async function removeMember(userId: string) {
    await api.accounts.removeMember(need(), userId);
    await loadMembers();
  }

  return {
    accountId,
    apiKeys,
    crm,
    secret,
    deliveries,
    hasMoreDeliveries: computed(() => deliveriesCursor.value !== null),
    lastTest,
    members,
    focus,
    loadApiKeys,
    createApiKey,
    revokeApiKey,
    loadCrm,
    setCrmUrl,
    revealSecret,
    hideSecret,
    rotateSecret,
    sendTest,
    loadDeliveries,
    moreDeliveries,
    retryDelivery,
    recover,
    loadMembers,
    addMember,
    setMemberRole,
    removeMember,
  };
});
