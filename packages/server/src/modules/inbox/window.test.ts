import { describe, expect, it } from 'vitest';
import { messagingWindow, sendPermission } from './window.ts';

const t0 = new Date('2026-11-01T12:00:00Z');
const after = (hours: number) => new Date(t0.getTime() + hours * 3_600_000);

describe("Meta's messaging window", () => {
  it('is closed when the customer never wrote', () => {
    expect(messagingWindow(null, t0, true)).toEqual({ state: 'closed', closesAt: null, humanAgentUntil: null });
  });
  it('is open for 24 hours after the last inbound event', () => {
    expect(messagingWindow(t0, after(23.9), false).state).toBe('open');
    expect(messagingWindow(t0, after(24), false).state).toBe('closed');
  });
  it('allows only a person to reply with HUMAN_AGENT from 24 hours to 7 days, when enabled', () => {
    const w = messagingWindow(t0, after(30), true);
    expect(w.state).toBe('human_agent');
    expect(sendPermission(w, true)).toEqual({ ok: true, humanAgent: true });
    expect(sendPermission(w, false)).toEqual({ ok: false, closedAt: after(24) });
    expect(messagingWindow(t0, after(24 * 7), true).state).toBe('closed');
  });
  it('never tags a message sent inside the window', () => {
    expect(sendPermission(messagingWindow(t0, after(1), true), true)).toEqual({ ok: true, humanAgent: false });
  });
  it('refuses everything after 24 hours when HUMAN_AGENT is not enabled', () => {
    expect(sendPermission(messagingWindow(t0, after(30), false), true)).toEqual({ ok: false, closedAt: after(24) });
  });
});
