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
});
