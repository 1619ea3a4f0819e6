import { describe, expect, it } from 'vitest';
import { isTyping, snoozeUntil } from './workflow.ts';

describe('snooze choices', () => {
  const now = new Date(2026, 11, 5, 15, 30); // a Saturday afternoon, local time
  it('ends an hour from now, tomorrow at 9:00, or next Monday at 9:00', () => {
    expect(snoozeUntil('1h', now)?.getTime()).toBe(now.getTime() + 3_600_000);
    expect(snoozeUntil('tomorrow', now)).toEqual(new Date(2026, 11, 6, 9, 0));
    expect(snoozeUntil('week', now)).toEqual(new Date(2026, 11, 7, 9, 0));
    expect(snoozeUntil('', now)).toBeNull();
  });
});

describe('shortcuts while typing', () => {
  it('never take a key typed in a field or with a modifier', () => {
    const field = document.createElement('textarea');
    const ev = (init: KeyboardEventInit, target: EventTarget) => {
      const e = new KeyboardEvent('keydown', init);
      Object.defineProperty(e, 'target', { value: target });
      return e;
    };
    expect(isTyping(ev({ key: 'j' }, field))).toBe(true);
    expect(isTyping(ev({ key: 'j' }, document.body))).toBe(false);
    expect(isTyping(ev({ key: 'j', ctrlKey: true }, document.body))).toBe(true);
  });
});
