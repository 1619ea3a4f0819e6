import { computed, readonly, ref, shallowRef, triggerRef } from 'vue';
import { defineStore } from 'pinia';
import type { Conversation, InboxScope } from '@threadline/contract';
import { api } from '../api/index.ts';
import { useSessionStore } from './session.ts';

export type ConversationFilter = 'all' | 'unread' | 'needs_reply';

const activity = (c: Conversation) => c.last_message?.at ?? c.updated_at;

export function matchesFilter(c: Conversation, filter: ConversationFilter, q: string, labelId: string | null = null): boolean {
  if (filter === 'unread' && c.unread_count === 0) return false;
  if (labelId && !c.labels.some((l) => l.id === labelId)) return false;
  if (filter === 'needs_reply' && !c.needs_reply) return false;
  const needle = q.trim().toLowerCase();
  if (!needle) return true;
  return [c.contact.name, c.contact.username, c.last_message?.preview].some((v) => v?.toLowerCase().includes(needle));
}

/**
 * The conversation list of the session's account: entities in a Map by id (shallow, so thousands stay cheap),
 * the visible order computed from last activity, keyset paging, and one in-flight load at a time.
 */
export const useConversationsStore = defineStore('conversations', () => {
  const byId = shallowRef(new Map<string, Conversation>());
  const listed = shallowRef(new Set<string>());
  const filter = ref<ConversationFilter>('all');
  const query = ref('');
  /** The session's account, or every account of the person ("All accounts"). */
  const scope = ref<InboxScope>('account');
  /** Only conversations carrying this label, or all. */
  const labelId = ref<string | null>(null);
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

  /** The list's filters as query parameters (status, label, search): one object, so a new filter is one line here. */
  function listQuery() {
    return {
      scope: scope.value,
      filter: filter.value,
      ...(labelId.value ? { label_id: labelId.value } : {}),
      ...(query.value.trim() ? { q: query.value.trim() } : {}),
    };
  }

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
    filter.value = f;
    return reload();
  }

  /** "All accounts" or the session's account; a label belongs to one account, so its filter is dropped. */
  function setScope(next: InboxScope) {
    if (scope.value === next) return Promise.resolve();
    scope.value = next;
    labelId.value = null;
    byId.value = new Map();
    return reload();
  }

  function setLabel(id: string | null) {
    labelId.value = id;
    return reload();
  }

  function setQuery(q: string) {
    query.value = q;
    return reload();
  }

  /** A conversation from the live stream: kept, and listed when it matches the current filter. */
  function upsert(c: Conversation) {
    const matches = matchesFilter(c, filter.value, query.value, labelId.value);
    // a conversation that lost the filtered label leaves the list; others stay where they were
    if (!matches && labelId.value && listed.value.has(c.id)) listed.value.delete(c.id);
    put([c], matches || (!labelId.value && listed.value.has(c.id)));
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
    labelId.value = null;
    scope.value = 'account';
  }

  return {
    list,
    selected,
    selectedId: readonly(selectedId),
    filter: readonly(filter),
    scope: readonly(scope),
    labelId: readonly(labelId),
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
    setScope,
    setLabel,
    setQuery,
    upsert,
    refreshOne,
    markRead,
    select,
    reset,
  };
});
