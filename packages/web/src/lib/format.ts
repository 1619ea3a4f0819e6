import { MESSAGE_TEXT_MAX_BYTES, utf8Bytes, type WindowState } from '@threadline/contract';
import { ApiError } from '../api/client.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "now", "5m", "3h", "Mon", "12 Mar": the compact time of a conversation row. */
export function shortTime(iso: string, now: Date = new Date()): string {
  const t = new Date(iso);
  const diff = now.getTime() - t.getTime();
  if (diff < MINUTE) return 'now';
  if (diff < HOUR) return `${Math.floor(diff / MINUTE)}m`;
  if (diff < DAY) return `${Math.floor(diff / HOUR)}h`;
  if (diff < 7 * DAY) return t.toLocaleDateString(undefined, { weekday: 'short' });
  return t.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function fullTime(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** The label of a day separator in a thread. */
export function dayLabel(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  const startOf = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((startOf(now) - startOf(d)) / DAY);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return d.toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric' });
}

export function sameDay(a: string, b: string): boolean {
  return new Date(a).toDateString() === new Date(b).toDateString();
}

export function durationLeft(untilIso: string, now: Date = new Date()): string {
  const ms = new Date(untilIso).getTime() - now.getTime();
  if (ms <= 0) return '0m';
  const h = Math.floor(ms / HOUR);
  const m = Math.floor((ms % HOUR) / MINUTE);
  if (h >= 24) return `${Math.floor(h / 24)}d ${h % 24}h`;
  return h > 0 ? `${h}h ${m}m` : `${m}m`;
}

/** What the composer says about Meta's messaging window. */
export function windowText(w: WindowState, now: Date = new Date()): { tone: 'ok' | 'warn' | 'closed'; text: string } {
  if (w.state === 'open' && w.closes_at) return { tone: 'ok', text: `Window open: ${durationLeft(w.closes_at, now)} left` };
  if (w.state === 'open') return { tone: 'ok', text: 'Window open' };
  if (w.state === 'human_agent') {
    const left = w.human_agent_until ? ` for ${durationLeft(w.human_agent_until, now)}` : '';
    return { tone: 'warn', text: `24-hour window closed: replies go as HUMAN_AGENT${left}` };
  }
  return { tone: 'closed', text: 'The 24-hour window is closed: the customer has to write first' };
}

export function bytesLeft(text: string): number {
  return MESSAGE_TEXT_MAX_BYTES - utf8Bytes(text);
}

const MESSAGES_BY_CODE: Record<string, string> = {
  'auth.invalid_credentials': 'Wrong username or password.',
  'auth.too_many_attempts': 'Too many failed attempts. Wait a moment and try again.',
  'accounts.forbidden_role': 'Your role on this account does not allow that.',
  'accounts.last_owner': 'You are the last owner: make someone else an owner (or remove the other members) before you unlink.',
  'messaging.window_closed': 'The 24-hour messaging window is closed: the customer has to write first.',
};

/** An error in words for people: the server's message, or ours for the codes we know better. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const known = MESSAGES_BY_CODE[error.code];
    if (error.code === 'auth.too_many_attempts' && error.retryAfterSeconds) {
      return `Too many failed attempts. Try again in ${Math.ceil(error.retryAfterSeconds / 60)} minute(s).`;
    }
    if (error.code === 'crm.url_forbidden_address') {
      return `Threadline refuses this URL: ${error.message} (webhooks may only go to public addresses, so nobody can reach your internal network through Threadline).`;
    }
    return known ?? error.message;
  }
  return error instanceof Error ? error.message : 'Something went wrong.';
}

export function initials(name: string | null | undefined): string {
  const parts = (name ?? '?').replace(/^@/, '').split(/[\s._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts[1]?.[0] ?? '')).toUpperCase();
}
