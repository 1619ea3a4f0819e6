import { computed, ref, shallowRef, triggerRef } from 'vue';
import { defineStore } from 'pinia';
import { messageSchema, type Message, type RealtimeEvent, type SendMessageBody } from '@threadline/contract';
import { api } from '../api/index.ts';

type Thread = { byId: Map<string, Message>; nextCursor: string | null; loaded: boolean };

const byTime = (a: Message, b: Message) => (a.sent_at < b.sent_at ? -1 : a.sent_at > b.sent_at ? 1 : a.id < b.id ? -1 : 1);

/** Messages per conversation, by id (so a live event and a reload never show a message twice), oldest first. */
export const useMessagesStore = defineStore('messages', () => {
  const threads = shallowRef(new Map<string, Thread>());
  const openId = ref<string | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const inFlight = new Map<string, Promise<void>>();

  function thread(id: string): Thread {
    let t = threads.value.get(id);
    if (!t) {
      t = { byId: new Map(), nextCursor: null, loaded: false };
      threads.value.set(id, t);
    }
    return t;
  }

  const messages = computed(() => {
    const t = openId.value ? threads.value.get(openId.value) : undefined;
    return t ? [...t.byId.values()].sort(byTime) : [];
  });
  const hasOlder = computed(() => (openId.value ? (threads.value.get(openId.value)?.nextCursor ?? null) !== null : false));

  function put(conversationId: string, items: Message[]) {
    const t = thread(conversationId);
    for (const m of items) t.byId.set(m.id, m);
    triggerRef(threads);
  }

  function fetchPage(conversationId: string, older: boolean): Promise<void> {
    const key = `${conversationId}:${older ? 'older' : 'latest'}`;
    const existing = inFlight.get(key);
    if (existing) return existing;
    const t = thread(conversationId);
    const cursor = older ? t.nextCursor : null;
    if (older && !cursor) return Promise.resolve();
    loading.value = true;
    const p = api.inbox
      .messages(conversationId, cursor ?? undefined)
      .then((page) => {
        put(conversationId, page.messages);
        if (older || !t.loaded) t.nextCursor = page.next_cursor;
        t.loaded = true;
        error.value = null;
      })
      .catch((e: unknown) => {
        error.value = e instanceof Error ? e.message : 'Could not load messages.';
      })
      .finally(() => {
        inFlight.delete(key);
        loading.value = inFlight.size > 0;
        triggerRef(threads);
      });
    inFlight.set(key, p);
    return p;
  }

  function open(conversationId: string | null): Promise<void> {
    openId.value = conversationId;
    return conversationId ? fetchPage(conversationId, false) : Promise.resolve();
  }

  const loadOlder = () => (openId.value ? fetchPage(openId.value, true) : Promise.resolve());

  async function send(conversationId: string, body: SendMessageBody): Promise<Message> {
    const message = await api.inbox.send(conversationId, body, crypto.randomUUID());
    put(conversationId, [message]);
    return message;
  }

  async function retry(conversationId: string, messageId: string): Promise<void> {
    put(conversationId, [await api.inbox.retry(conversationId, messageId)]);
  }

  async function react(conversationId: string, messageId: string, reaction: string | null): Promise<void> {
    if (reaction) await api.inbox.react(conversationId, messageId, reaction);
    else await api.inbox.unreact(conversationId, messageId);
    await fetchPage(conversationId, false);
  }

  /** A live event: apply the message it carries, or reload the newest page of a thread we hold. */
  function applyEvent(event: RealtimeEvent): void {
    if (!event.conversation_id) return;
    const carried = messageSchema.safeParse(event.data['message']);
    if (carried.success) {
      put(carried.data.conversation_id, [carried.data]);
      return;
    }
    if (threads.value.get(event.conversation_id)?.loaded) void fetchPage(event.conversation_id, false);
  }

  function resync(): void {
    if (openId.value) void fetchPage(openId.value, false);
  }

  function reset() {
    threads.value = new Map();
    openId.value = null;
  }

  return { messages, hasOlder, loading, error, openId, open, loadOlder, send, retry, react, applyEvent, resync, reset };
});
