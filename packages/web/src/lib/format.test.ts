import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client.ts';
import { bytesLeft, dayLabel, durationLeft, errorText, initials, windowText } from './format.ts';

const now = new Date('2026-03-10T12:00:00.000Z');

describe('formatting for people', () => {
  it('counts the 1000-byte limit in UTF-8 bytes, not characters', () => {
    expect(bytesLeft('')).toBe(1000);
    expect(bytesLeft('abc')).toBe(997);
    expect(bytesLeft('é')).toBe(998);
    expect(bytesLeft('😀'.repeat(250))).toBe(0);
    expect(bytesLeft('😀'.repeat(251))).toBe(-4);
  });

  it('says how long the 24-hour window stays open', () => {
    expect(windowText({ state: 'open', closes_at: '2026-03-10T17:30:00.000Z', human_agent_until: null }, now)).toEqual({ tone: 'ok', text: 'Window open: 5h 30m left' });
    expect(windowText({ state: 'closed', closes_at: '2026-03-09T12:00:00.000Z', human_agent_until: null }, now).tone).toBe('closed');
    expect(windowText({ state: 'human_agent', closes_at: null, human_agent_until: '2026-03-13T12:00:00.000Z' }, now).text).toContain('HUMAN_AGENT for 3d 0h');
  });

  it('never shows a negative duration', () => {
    expect(durationLeft('2026-03-10T11:00:00.000Z', now)).toBe('0m');
  });

  it('labels day separators as Today, Yesterday or the date', () => {
    expect(dayLabel('2026-03-10T08:00:00', new Date('2026-03-10T20:00:00'))).toBe('Today');
    expect(dayLabel('2026-03-09T08:00:00', new Date('2026-03-10T20:00:00'))).toBe('Yesterday');
    expect(dayLabel('2026-03-01T08:00:00', new Date('2026-03-10T20:00:00'))).not.toMatch(/Today|Yesterday/);
  });

  it('explains the refusal of a private CRM address (SSRF) in words', () => {
    const text = errorText(new ApiError(400, 'crm.url_forbidden_address', 'crm.internal resolves to 10.0.0.5, a private address', 'r'));
    expect(text).toContain('refuses this URL');
    expect(text).toContain('internal network');
  });

  it('uses its own words for known codes and the server’s otherwise', () => {
    expect(errorText(new ApiError(401, 'auth.invalid_credentials', 'Invalid credentials', 'r'))).toBe('Wrong username or password.');
    expect(errorText(new ApiError(400, 'x.y', 'Exact words', 'r'))).toBe('Exact words');
  });

  it('makes avatar initials from names and usernames', () => {
    expect(initials('Jane Doe')).toBe('JD');
    expect(initials('@acme_shop')).toBe('AS');
    expect(initials(null)).toBe('?');
  });
});
