/** When a snooze chosen from the menu ends, from `now` (local time: "tomorrow 9:00" is the user's morning). */
export function snoozeUntil(choice: string, now = new Date()): Date | null {
  if (choice === '1h') return new Date(now.getTime() + 3_600_000);
  if (choice === '3h') return new Date(now.getTime() + 3 * 3_600_000);
  const d = new Date(now);
  if (choice === 'tomorrow') d.setDate(d.getDate() + 1);
  else if (choice === 'week') d.setDate(d.getDate() + (((8 - d.getDay()) % 7) || 7));
  else return null;
  d.setHours(9, 0, 0, 0);
  return d;
}

/** The inbox's keyboard shortcuts (none fires while typing in a field). */
export const SHORTCUTS: readonly { key: string; does: string }[] = [
  { key: 'j', does: 'Next conversation' },
  { key: 'k', does: 'Previous conversation' },
  { key: 'e', does: 'Mark the open conversation done' },
  { key: 'a', does: 'Assign the open conversation to me' },
  { key: 's', does: 'Snooze the open conversation' },
  { key: '?', does: 'Show these shortcuts' },
];

/** Whether a key press is typing (in a field, or with a modifier), which no shortcut may take. */
export function isTyping(e: KeyboardEvent): boolean {
  if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return true;
  const t = e.target;
  if (!(t instanceof HTMLElement)) return false;
  return t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName);
}

/** A composer's key press: Enter (not Shift+Enter, not while composing) submits; a printable key is typing. */
export function composerKeydown(e: KeyboardEvent, submit: () => void, typing: () => void): void {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    submit();
  } else if (e.key.length === 1) {
    typing();
  }
}
