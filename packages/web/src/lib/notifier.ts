import type { Conversation, RealtimeEvent, UiPreferences } from '@threadline/contract';

/**
 * Whether a live event deserves a browser notification for the signed-in person: a customer's new message in a
 * conversation assigned to them or to nobody (an @mention of them: `isMentionOfMe`). What the person does themselves (their sends, reads, labels) never
 * notifies; neither does a message in the conversation they are looking at.
 */
export function shouldNotify(event: RealtimeEvent, conversation: Conversation | null, me: { userId: string; looking: string | null }): boolean {
  if (event.type !== 'message.received' || !conversation) return false;
  if (conversation.assignee_user_id !== null && conversation.assignee_user_id !== me.userId) return false;
  return me.looking !== conversation.id;
}

/** What a notification says: who wrote, and the preview of what they wrote. */
export function notificationText(conversation: Conversation): { title: string; body: string } {
  const who = conversation.contact.name ?? conversation.contact.username ?? 'A customer';
  return { title: `${who} wrote`, body: conversation.last_message?.preview ?? 'New message' };
}

/** A short two-tone chime, made by the browser (no sound file to fetch). */
function chime(): void {
  const Ctx = window.AudioContext;
  if (!Ctx) return;
  const ctx = new Ctx();
  for (const [i, freq] of [660, 880].entries()) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = freq;
    gain.gain.value = 0.08;
    osc.connect(gain).connect(ctx.destination);
    osc.start(ctx.currentTime + i * 0.12);
    osc.stop(ctx.currentTime + i * 0.12 + 0.1);
  }
  setTimeout(() => void ctx.close(), 600);
}

/** An @mention of the signed-in person in a teammate's note (a note of their own never notifies them). */
export function isMentionOfMe(event: RealtimeEvent, userId: string): boolean {
  return event.type === 'note.mentioned' && event.data['user_id'] === userId && event.data['by_user_id'] !== userId;
}

/** What a mention's notification says: no note text (it may be long); the conversation opens on a click. */
export function mentionText(conversation: Conversation | null): { title: string; body: string } {
  const who = conversation?.contact.name ?? conversation?.contact.username ?? null;
  return { title: 'You were mentioned in a note', body: who ? `In the conversation with ${who}` : 'Open the conversation to read it' };
}

/** Shows a notification (and plays the chime) when the person turned them on and the browser allows it. */
function show(text: { title: string; body: string }, tag: string, prefs: UiPreferences, onOpen: () => void): void {
  if (!prefs.browser_notifications || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const n = new Notification(text.title, { body: text.body, tag });
  n.onclick = () => {
    window.focus();
    onOpen();
    n.close();
  };
  if (prefs.notification_sound) chime();
}

/** A customer's new message (see `shouldNotify`). */
export function notify(conversation: Conversation, prefs: UiPreferences, onOpen: () => void): void {
  show(notificationText(conversation), conversation.id, prefs, onOpen);
}

/** An @mention of me (see `isMentionOfMe`); `conversation` when the list holds it, for the customer's name. */
export function notifyMention(noteId: string, conversation: Conversation | null, prefs: UiPreferences, onOpen: () => void): void {
  show(mentionText(conversation), `mention-${noteId}`, prefs, onOpen);
}
