import { describe, expect, it } from 'vitest';
import type { RealtimeFrame } from './realtime-hub.ts';
import { createStreamWriter } from './realtime-stream.ts';

const frame = (id: number): RealtimeFrame => ({ id, text: `id: ${id}\n\n` });
const frames = (...ids: number[]) => ids.map(frame);
const encode = (list: RealtimeFrame[]) => Buffer.from(list.map((f) => f.text).join(''));

/** A writer and the ids it wrote, in order (read back from the SSE text it produced). */
function world(floor: number) {
  const chunks: (string | Buffer)[] = [];
  const writer = createStreamWriter(floor, (chunk) => chunks.push(chunk));
  const written = () => [...chunks.join('').matchAll(/id: (\d+)/g)].map((m) => Number(m[1]));
  const live = (...ids: number[]) => writer.live(frames(...ids), encode(frames(...ids)));
  return { writer, chunks, written, live };
}

describe('one stream of live updates', () => {
  it('writes nothing the hub sends while its replay is read, then the replay and what was held, each once', () => {
    const w = world(10);
    w.live(13, 14); // announced while the replay was read: 13 and 14 are in it too
    w.live(15);
    expect(w.written()).toEqual([]);
    w.writer.replayed(frames(11, 12, 13, 14));
    expect(w.written()).toEqual([11, 12, 13, 14, 15]);
    // A flush after the replay may still carry one of its events (announced during the read, flushed after it).
    w.live(14, 16);
    expect(w.written()).toEqual([11, 12, 13, 14, 15, 16]);
  });

  it('skips what came before the Last-Event-ID, but not an id below the highest sent that it has not sent', () => {
    const w = world(10);
    w.writer.replayed([]);
    w.live(9, 10, 12);
    w.live(11); // committed a moment after 12 by another writer: still new to this stream
    expect(w.written()).toEqual([12, 11]);
  });

  it('writes the hub\'s shared encoding as it is when every frame is new, and its own text otherwise', () => {
    const w = world(0);
    w.writer.replayed(frames(1));
    const shared = encode(frames(2, 3));
    w.writer.live(frames(2, 3), shared);
    expect(w.chunks.at(-1)).toBe(shared);
    w.live(1, 4);
    expect(w.chunks.at(-1)).toBe('id: 4\n\n');
    expect(w.written()).toEqual([1, 2, 3, 4]);
  });

  it('still skips its replay\'s ids after any number of live events', () => {
    const w = world(0);
    w.writer.replayed(frames(1, 2));
    for (let id = 3; id <= 20_000; id += 1) w.live(id);
    expect(w.written()).toHaveLength(20_000);
    w.live(2); // from the replay: skipped
    w.live(20_001);
    expect(w.written().slice(-1)).toEqual([20_001]);
    expect(w.written()).toHaveLength(20_001);
  });
});
