import { describe, expect, it, vi } from 'vitest';
import type { RealtimeEvent } from '@threadline/contract';
import { connectLiveEvents, type LiveStatus } from './live-events.ts';

class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((e: MessageEvent<string>) => void) | null = null;
  onerror: (() => void) | null = null;
  listeners = new Map<string, (e: MessageEvent<string>) => void>();
  readonly url: string;
  constructor(url: string) {
    this.url = url;
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, fn: (e: MessageEvent<string>) => void) {
    this.listeners.set(type, fn);
  }
  close() {
    this.readyState = 2;
  }
  emit(type: string, payload: unknown) {
    const e = new MessageEvent('message', { data: JSON.stringify(payload) });
    (type === 'message' ? this.onmessage : this.listeners.get(type))?.(e);
  }
}

const ev = (id: number): RealtimeEvent => ({ id, type: 'message.received', account_id: 'a', conversation_id: 'c', message_id: 'm', data: {} });

describe('the live-update stream', () => {
  it('delivers each event once, even when the server replays it after a reconnect', () => {
    FakeEventSource.instances = [];
    const events: number[] = [];
    const conn = connectLiveEvents({ onEvent: (e) => events.push(e.id), onStatus: () => {}, onResync: () => {}, EventSourceImpl: FakeEventSource as unknown as typeof EventSource });
    const es = FakeEventSource.instances[0];
    es?.emit('message.received', ev(1));
    es?.emit('message.received', ev(2));
    es?.emit('message.received', ev(2));
    es?.emit('message', ev(1));
    es?.emit('message.received', { nonsense: true });
    expect(events).toEqual([1, 2]);
    conn.close();
  });

  it('delivers an event whose id is below one already seen (committed later by another writer), and resumes after the highest', () => {
    vi.useFakeTimers();
    FakeEventSource.instances = [];
    const events: number[] = [];
    const conn = connectLiveEvents({ onEvent: (e) => events.push(e.id), onStatus: () => {}, onResync: () => {}, EventSourceImpl: FakeEventSource as unknown as typeof EventSource });
    const es = FakeEventSource.instances[0];
    es?.emit('message.received', ev(5));
    es?.emit('message.received', ev(7));
    es?.emit('message.received', ev(6));
    es?.emit('message.received', ev(7));
    expect(events).toEqual([5, 7, 6]);
    if (es) es.readyState = FakeEventSource.CLOSED;
    es?.onerror?.();
    vi.advanceTimersByTime(60_000);
    expect(FakeEventSource.instances[1]?.url).toBe('/api/v1/ui/events?last_event_id=7');
    conn.close();
    vi.useRealTimers();
  });

  it('forgets the oldest ids it has seen only thousands of events later', () => {
    FakeEventSource.instances = [];
    const events: number[] = [];
    const conn = connectLiveEvents({ onEvent: (e) => events.push(e.id), onStatus: () => {}, onResync: () => {}, EventSourceImpl: FakeEventSource as unknown as typeof EventSource });
    const es = FakeEventSource.instances[0];
    for (let id = 1; id <= 3_000; id += 1) es?.emit('message.received', ev(id));
    es?.emit('message.received', ev(1_500)); // replayed: still remembered
    expect(events).toHaveLength(3_000);
    conn.close();
  });

  it('opens a new stream after the old one closed for good, and asks for a resync each time a stream opens', () => {
    vi.useFakeTimers();
    FakeEventSource.instances = [];
    const statuses: LiveStatus[] = [];
    const onResync = vi.fn();
    const conn = connectLiveEvents({ onEvent: () => {}, onStatus: (s) => statuses.push(s), onResync, EventSourceImpl: FakeEventSource as unknown as typeof EventSource });
    const first = FakeEventSource.instances[0];
    first?.onopen?.();
    if (first) first.readyState = FakeEventSource.CLOSED;
    first?.onerror?.();
    vi.advanceTimersByTime(60_000);
    const second = FakeEventSource.instances[1];
    expect(second).toBeDefined();
    second?.onopen?.();
    expect(onResync).toHaveBeenCalledTimes(2);
    expect(statuses).toEqual(['connecting', 'open', 'reconnecting', 'reconnecting', 'open']);
    conn.close();
    vi.useRealTimers();
  });

  it('stops for good, without reopening, when the server says the access ended', () => {
    vi.useFakeTimers();
    FakeEventSource.instances = [];
    const ended = vi.fn();
    const statuses: LiveStatus[] = [];
    connectLiveEvents({ onEvent: () => {}, onStatus: (s) => statuses.push(s), onResync: () => {}, onAccessEnded: ended, EventSourceImpl: FakeEventSource as unknown as typeof EventSource });
    const es = FakeEventSource.instances[0];
    es?.emit('access_ended', { reason: 'removed' });
    es?.onerror?.();
    vi.advanceTimersByTime(120_000);
    expect(ended).toHaveBeenCalledTimes(1);
    expect(es?.readyState).toBe(FakeEventSource.CLOSED);
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(statuses.at(-1)).toBe('closed');
    vi.useRealTimers();
  });

  it('gives way to a newer stream when the server closes this one for being one too many, and says why', () => {
    vi.useFakeTimers();
    FakeEventSource.instances = [];
    const closedFor: string[] = [];
    connectLiveEvents({ onEvent: () => {}, onStatus: () => {}, onResync: () => {}, onStreamClosed: (r) => closedFor.push(r), EventSourceImpl: FakeEventSource as unknown as typeof EventSource });
    FakeEventSource.instances[0]?.emit('stream_closed', { reason: 'More than 5 live connections for this session' });
    vi.advanceTimersByTime(120_000);
    expect(closedFor).toEqual(['More than 5 live connections for this session']);
    expect(FakeEventSource.instances).toHaveLength(1);
    vi.useRealTimers();
  });
});
