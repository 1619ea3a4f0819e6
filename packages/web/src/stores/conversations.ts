import { computed, readonly, ref, shallowRef, triggerRef } from 'vue';
import { defineStore } from 'pinia';
import type { Conversation, ConversationFilter, ConversationStatusBody, ConversationStatusFilter, InboxScope } from '@threadline/contract';
import { api } from '../api/index.ts';
import { useSessionStore } from './session.ts';

export type { ConversationFilter };
export type StatusFilter = ConversationStatusFilter;

/**
 * Everything the list is filtered by, as one object: the server's query (`toQuery`) and the live check
 * (`matchesFilter`) both read it, so a new filter is one more field in each.
 */
export type ListFilters = {
  filter: ConversationFilter;
  status: StatusFilter;
  /** 'me', 'unassigned' or a teammate's user id; null: everyone's */
  assignee: string | null;
  /** only conversations carrying this label; null: any */
  labelId: string | null;
};

export const DEFAULT_FILTERS: ListFilters = { filter: 'all', status: 'open', assignee: null, labelId: null };

export function toQuery(f: ListFilters): { filter: ConversationFilter; status: StatusFilter; assignee?: string; label_id?: string } {
  return { filter: f.filter, status: f.status, ...(f.assignee ? { assignee: f.assignee } : {}), ...(f.labelId ? { label_id: f.labelId } : {}) };
}

const activity = (c: Conversation) => c.last_message?.at ?? c.updated_at;

/** Whether a conversation belongs in the list (`me`: the signed-in user's id, for the "mine" filter). */
export function matchesFilter(c: Conversation, f: ConversationFilter | Partial<ListFilters>, q: string, me: string | null = null): boolean {
  const { filter, status, assignee, labelId } = typeof f === 'string' ? { ...DEFAULT_FILTERS, filter: f, status: 'all' as const } : { ...DEFAULT_FILTERS, ...f };
  if (filter === 'unread' && c.unread_count === 0) return false;
  if (labelId && !c.labels.some((l) => l.id === labelId)) return false;
  if (filter === 'needs_reply' && !c.needs_reply) return false;
  if (status !== 'all' && c.status !== status) return false;
  if (assignee === 'unassigned' && c.assignee) return false;
  if (assignee && assignee !== 'unassigned' && c.assignee?.id !== (assignee === 'me' ? me : assignee)) return false;
  const needle = q.trim().replace(/^@/, '').trim().toLowerCase();
  if (!needle) return true;
  // as the server does: a term under 3 characters matches a whole username only
  if (needle.length < 3) return c.contact.username?.toLowerCase() === needle;
  return [c.contact.name, c.contact.username, c.last_message?.preview].some((v) => v?.toLowerCase().includes(needle));
}

/**
 * The conversation list of the session's account (or of every account of the person: "All accounts"): entities in a Map by id (shallow, so thousands stay cheap),
 * the visible order computed from last activity, keyset paging, and one in-flight load at a time.
 */
export const useConversationsStore = defineStore('conversations', () => {
  const byId = shallowRef(new Map<string, Conversation>());
  const listed = shallowRef(new Set<string>());
  const filters = ref<ListFilters>({ ...DEFAULT_FILTERS });
  const filter = computed(() => filters.value.filter);
  const labelId = computed(() => filters.value.labelId);
  /** The session's account, or every account of the person ("All accounts"). */
  const scope = ref<InboxScope>('account');
  const query = ref('');
  const nextCursor = ref<string | null>(null);
  const loading = ref(false);
  const loadedOnce = ref(false);
  const error = ref<string | null>(null);
  const selectedId = ref<string | null>(null);
  let generation = 0;
  let inFlight: Promise<void> | null = null;
  let abort: AbortController | null = null;
  let refreshAbort: AbortController | null = null;

  const list = computed(() =>
    [...listed.value]
      .map((id) => byId.value.get(id))
      .filter((c): c is Conversation => c !== undefined)
      .sort((a, b) => (activity(a) < activity(b) ? 1 : activity(a) > activity(b) ? -1 : 0)),
  );
  const selected = computed(() => (selectedId.value ? (byId.value.get(selectedId.value) ?? null) : null));
  const hasMore = computed(() => nextCursor.value !== null);

  function put(items: Conversation[], addToList: boolean) {
    // An answer that was in flight while the session switched accounts belongs to the other inbox: drop it.
    const session = useSessionStore();
    const accountId = session.switching ? null : session.accountId;
    if (!accountId) return;
    for (const c of items) {
      if (scope.value === 'account' && c.account_id !== accountId) continue;
      byId.value.set(c.id, c);
      if (addToList) listed.value.add(c.id);
    }
    triggerRef(byId);
    triggerRef(listed);
  }

  /** The list's query parameters: the scope, the filters and the search. */
  function listQuery() {
    return { scope: scope.value, ...toQuery(filters.value), ...(query.value.trim() ? { q: query.value.trim() } : {}) };
  }

  async function fetchPage(cursor: string | null) {
    const gen = generation;
    abort = new AbortController();
    loading.value = true;
    try {
      const page = await api.inbox.conversations(
        { ...listQuery(), ...(cursor ? { cursor } : {}) },
        abort.signal,
      );
      if (gen !== generation) return;
      put(page.conversations, true);
      nextCursor.value = page.next_cursor;
      loadedOnce.value = true;
      error.value = null;
    } catch (e) {
      if (gen !== generation || (e instanceof DOMException && e.name === 'AbortError')) return;
      error.value = e instanceof Error ? e.message : 'Could not load conversations.';
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  /** First page for the current filter and search (a new filter cancels the old load). */
  function reload(): Promise<void> {
    generation += 1;
    abort?.abort();
    listed.value = new Set();
    nextCursor.value = null;
    inFlight = fetchPage(null).finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  /** The first page again, merged by id without clearing the list (after the live stream (re)opens). */
  async function refresh(): Promise<void> {
    const gen = generation;
    refreshAbort?.abort();
    refreshAbort = new AbortController();
    try {
      const page = await api.inbox.conversations(listQuery(), refreshAbort.signal);
      if (gen === generation) put(page.conversations, true);
    } catch {
      // the next live event or reload brings the list up to date
    }
  }

  function loadMore(): Promise<void> {
    if (inFlight || !nextCursor.value) return inFlight ?? Promise.resolve();
    inFlight = fetchPage(nextCursor.value).finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  function setFilter(f: ConversationFilter) {
    return setFilters({ filter: f });
  }

  function setFilters(patch: Partial<ListFilters>) {
    filters.value = { ...filters.value, ...patch };
    return reload();
  }

  /** "All accounts" or the session's account; a label belongs to one account, so its filter is dropped. */
  function setScope(next: InboxScope) {
    if (scope.value === next) return Promise.resolve();
    scope.value = next;
    filters.value = { ...filters.value, labelId: null };
    byId.value = new Map();
    return reload();
  }

  function setLabel(id: string | null) {
    return setFilters({ labelId: id });
  }

  function setQuery(q: string) {
    query.value = q;
    return reload();
  }

  /** A conversation from the live stream: kept, and listed when it matches the current filter. */
  function upsert(c: Conversation) {
    const me = useSessionStore().user?.user_id ?? null;
    const matches = matchesFilter(c, filters.value, query.value, me);
    put([c], matches || listed.value.has(c.id));
    // one that is done, snoozed, assigned away or lost the filtered label leaves the list (an unread one read stays)
    if (!matches && listed.value.has(c.id) && !matchesFilter(c, { ...filters.value, filter: 'all' }, '', me)) {
      listed.value.delete(c.id);
      triggerRef(listed);
    }
  }

  /** Done, snoozed or open again; the answer replaces the conversation (and the live event tells everyone else). */
  async function setStatus(id: string, body: ConversationStatusBody) {
    upsert(await api.workflow.setStatus(id, body));
  }

  async function assign(id: string, userId: string | null) {
    upsert(await api.workflow.assign(id, userId));
  }

  async function refreshOne(id: string) {
    try {
      upsert(await api.inbox.conversation(id));
    } catch {
      // The single-conversation route may not exist: fall back to the first page, merged by id.
      const page = await api.inbox.conversations(listQuery());
      put(page.conversations, true);
    }
  }

  async function markRead(id: string) {
    const c = byId.value.get(id);
    if (!c || c.unread_count === 0) return;
    put([{ ...c, unread_count: 0 }], false);
    try {
      await api.inbox.markRead(id);
    } catch {
      put([c], false);
    }
  }

  function select(id: string | null) {
    selectedId.value = id;
  }

  function reset() {
    generation += 1;
    abort?.abort();
    refreshAbort?.abort();
    byId.value = new Map();
    listed.value = new Set();
    nextCursor.value = null;
    loadedOnce.value = false;
    selectedId.value = null;
    filters.value = { ...filters.value, labelId: null };
    scope.value = 'account';
  }

  return {
    list,
    selected,
    selectedId: readonly(selectedId),
    filter,
    filters: readonly(filters),
    scope: readonly(scope),
    labelId,
    query: readonly(query),
    loading: readonly(loading),
    loadedOnce: readonly(loadedOnce),
    error: readonly(error),
    hasMore,
    get: (id: string) => byId.value.get(id) ?? null,
    reload,
    refresh,
    loadMore,
    setFilter,
    setFilters,
    setScope,
    setLabel,
    setStatus,
    assign,
    setQuery,
    upsert,
    refreshOne,
    markRead,
    select,
    reset,
  };
});
