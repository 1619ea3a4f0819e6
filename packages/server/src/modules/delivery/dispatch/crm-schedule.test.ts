import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE_MS, parseDuration, parseRetrySchedule } from '../../../config/retry-schedule.ts';
import { MAX_PROBE_DELAY_MS, MIN_PROBE_DELAY_MS, nextRetryDelayMs, parseRetryAfter, probeDelayMs } from './crm-schedule.ts';
import { createRetryTimer } from './dispatcher-retry-timer.ts';

describe('CRM retry schedule', () => {
  it('reads durations in milliseconds, seconds, minutes, hours and days', () => {
    expect(parseRetrySchedule('0,200ms,1s,5m,2h,1d')).toEqual([0, 200, 1000, 300_000, 7_200_000, 86_400_000]);
    expect(parseDuration('1.5s')).toBe(1500);
  });

  it('refuses a schedule item that is not a duration, naming it', () => {
    expect(() => parseRetrySchedule('0,5x')).toThrow('item #2 "5x"');
    expect(() => parseRetrySchedule('0,,1s')).toThrow('item #2');
    expect(() => parseRetrySchedule('5')).toThrow('item #1');
  });

  it('follows the Svix-like default: eight attempts over about a day', () => {
    expect(DEFAULT_RETRY_SCHEDULE_MS).toHaveLength(8);
    const total = DEFAULT_RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(27 * 3_600_000);
  });

  it('jitters each wait by at most a fifth either way', () => {
    const schedule = [0, 10_000];
    expect(nextRetryDelayMs(schedule, 1, { random: () => 0 })).toBe(8_000);
    expect(nextRetryDelayMs(schedule, 1, { random: () => 0.999999 })).toBe(12_000);
    expect(nextRetryDelayMs(schedule, 0, { random: () => 0.7 })).toBe(0);
  });

  it('stops when the schedule is spent', () => {
    expect(nextRetryDelayMs([0, 1000], 2)).toBeNull();
  });

  it('waits longer when the receiver asks with Retry-After, but never shorter, and at most a day', () => {
    const schedule = [0, 10_000];
    expect(nextRetryDelayMs(schedule, 1, { random: () => 0.5, retryAfterMs: 60_000 })).toBe(60_000);
    expect(nextRetryDelayMs(schedule, 1, { random: () => 0.5, retryAfterMs: 1_000 })).toBe(10_000);
    expect(nextRetryDelayMs(schedule, 1, { random: () => 0.5, retryAfterMs: 10 * 86_400_000 })).toBe(86_400_000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2025-05-01T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 May 2025 10:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('probes a failing endpoint every 20 ms in a short outage, less often as it lasts, at most 10 s apart', () => {
    expect(probeDelayMs(0)).toBe(MIN_PROBE_DELAY_MS);
    expect(probeDelayMs(10_000)).toBe(20);
    expect(probeDelayMs(30_000)).toBe(30);
    expect(probeDelayMs(5 * 60_000)).toBe(300);
    expect(probeDelayMs(60 * 60_000)).toBe(3_600);
    expect(probeDelayMs(3 * 86_400_000)).toBe(MAX_PROBE_DELAY_MS);
  });
});

describe('CRM dispatcher retry timer', () => {
  it('wakes at every time asked for, earliest first, once for times that pass together', async () => {
    const woken: number[] = [];
    const timer = createRetryTimer(() => woken.push(Date.now()));
    const start = Date.now();
    timer.wakeAt(new Date(start + 60));
    timer.wakeAt(new Date(start + 20));
    timer.wakeAt(new Date(start + 20));
    timer.wakeAt(new Date(start + 21));
    await new Promise((resolve) => setTimeout(resolve, 120));
    // 20 and 21 may pass together or apart; 60 wakes it again
    expect(woken.length).toBeGreaterThanOrEqual(2);
    expect(woken.length).toBeLessThanOrEqual(3);
    expect((woken[0] ?? 0) - start).toBeGreaterThanOrEqual(20);
    expect((woken.at(-1) ?? 0) - start).toBeGreaterThanOrEqual(60);
    timer.wakeAt(new Date(Date.now() + 30));
    timer.clear();
    const count = woken.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(woken).toHaveLength(count);
  });
});
