import { computed, readonly, ref, shallowRef, triggerRef } from 'vue';
import { defineStore } from 'pinia';
import {
  PRESENCE_HEARTBEAT_SECONDS,
  PRESENCE_TTL_SECONDS,
  type AssignmentSettings,
  type Note,
  type Notification,
  type PresenceState,
  type RealtimeEvent,
} from '@threadline/contract';
import { api } from '../api/index.ts';
import { useSessionStore } from './session.ts';

/** How long "X is typing" shows after their last keystroke signal. */
const TYPING_MS = 6_000;

type Presence = { username: string; seenAt: number; typingAt: number };

const byCreated = (a: Note, b: Note) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0);

/**
 * How the team works together around a thread: its internal notes, who else has it open (or is typing), the
 * teammates one can assign to, and my @mentions. Live events keep all of it current for everyone.
 */
export const useTeamStore = defineStore('team', () => {
  const notesBy = shallowRef(new Map<string, Map<string, Note>>());
  const presence = shallowRef(new Map<string, Map<string, Presence>>());
  const assignment = ref<AssignmentSettings | null>(null);
  const notifications = ref<Notification[]>([]);
  const unread = ref(0);
  const clock = ref(Date.now());
  let ticker: ReturnType<typeof setInterval> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let lastTypingSent = 0;
  let viewing: string | null = null;

  const me = () => useSessionStore().user?.user_id ?? null;

  /** Members who may be assigned (those who may reply: admins and owners). */
  const assignable = computed(() => (assignment.value?.members ?? []).filter((m) => m.role !== 'viewer'));

  function notesOf(conversationId: string): Note[] {
    return [...(notesBy.value.get(conversationId)?.values() ?? [])].sort(byCreated);
  }

  function putNotes(conversationId: string, notes: Note[], replace = false) {
    const map = replace ? new Map<string, Note>() : (notesBy.value.get(conversationId) ?? new Map<string, Note>());
    for (const n of notes) map.set(n.id, n);
    notesBy.value.set(conversationId, map);
    triggerRef(notesBy);
  }

  async function loadNotes(conversationId: string) {
    putNotes(conversationId, (await api.workflow.notes(conversationId)).notes, true);
  }

  async function addNote(conversationId: string, text: string) {
    putNotes(conversationId, [await api.workflow.addNote(conversationId, text)]);
  }

  async function editNote(conversationId: string, noteId: string, text: string) {
    putNotes(conversationId, [await api.workflow.editNote(conversationId, noteId, text)]);
  }

  async function deleteNote(conversationId: string, noteId: string) {
    await api.workflow.deleteNote(conversationId, noteId);
    notesBy.value.get(conversationId)?.delete(noteId);
    triggerRef(notesBy);
  }

  async function loadAssignment(accountId: string) {
    try {
      assignment.value = await api.workflow.assignment(accountId);
    } catch {
      assignment.value = null;
    }
  }

  async function loadNotifications() {
    try {
      const page = await api.workflow.notifications();
      notifications.value = page.notifications;
      unread.value = page.unread;
    } catch {
      // shown again at the next mention or reload
    }
  }

  async function markNotificationsRead(ids?: string[]) {
    await api.workflow.readNotifications(ids);
    await loadNotifications();
  }

  /** Others on a thread now: who has it open, and who is typing (never me). */
  function othersOn(conversationId: string): { viewing: string[]; typing: string[] } {
    const now = clock.value;
    const list = [...(presence.value.get(conversationId)?.entries() ?? [])].filter(([id, p]) => id !== me() && now - p.seenAt < PRESENCE_TTL_SECONDS * 1000);
    return {
      viewing: list.map(([, p]) => p.username).sort(),
      typing: list.filter(([, p]) => now - p.typingAt < TYPING_MS).map(([, p]) => p.username).sort(),
    };
  }

  function applyEvent(event: RealtimeEvent) {
    const id = event.conversation_id;
    if (!id) return;
    const data = event.data;
    if (event.type === 'presence.updated') {
      const userId = typeof data['user_id'] === 'string' ? data['user_id'] : null;
      const username = typeof data['username'] === 'string' ? data['username'] : null;
      const state = data['state'];
      if (!userId || !username) return;
      const map = presence.value.get(id) ?? new Map<string, Presence>();
      const now = Date.now();
      if (state === 'left') map.delete(userId);
      else map.set(userId, { username, seenAt: now, typingAt: state === 'typing' ? now : (map.get(userId)?.typingAt ?? 0) });
      presence.value.set(id, map);
      triggerRef(presence);
      clock.value = now;
      return;
    }
    if (event.type.startsWith('note.') && event.type !== 'note.mentioned') {
      if (notesBy.value.has(id)) void loadNotes(id);
      return;
    }
    if (event.type === 'note.mentioned' && data['user_id'] === me()) void loadNotifications();
  }

  function signal(state: PresenceState) {
    if (viewing) void api.workflow.presence(viewing, state).catch(() => undefined);
  }

  /** I opened a thread (or none): tell the others, and keep telling them while it stays open. */
  function view(conversationId: string | null) {
    if (viewing && viewing !== conversationId) signal('left');
    viewing = conversationId;
    clearInterval(heartbeat);
    if (!conversationId) return;
    signal('viewing');
    heartbeat = setInterval(() => signal('viewing'), PRESENCE_HEARTBEAT_SECONDS * 1000);
  }

  /** A keystroke in the composer: "typing" at most every 3 seconds. */
  function typing() {
    const now = Date.now();
    if (now - lastTypingSent < 3_000) return;
    lastTypingSent = now;
    signal('typing');
  }

  function start() {
    clearInterval(ticker);
    ticker = setInterval(() => (clock.value = Date.now()), 2_000);
  }

  function stop() {
    view(null);
    clearInterval(ticker);
  }

  return {
    assignment: readonly(assignment),
    assignable,
    notifications: readonly(notifications),
    unread: readonly(unread),
    notesOf,
    loadNotes,
    addNote,
    editNote,
    deleteNote,
    loadAssignment,
    loadNotifications,
    markNotificationsRead,
    othersOn,
    applyEvent,
    view,
    typing,
    start,
    stop,
  };
});
