import type { RealtimeFrame } from './realtime-hub.ts';

/**
 * What one SSE stream writes, and what it skips.
 *
 * The hub sends each event to a stream once, so only a resume can repeat one: an event both in the replay and
 * announced while the replay was read. The stream holds the hub's frames while its replay is read, then writes the
 * replay and what was held, remembering their ids (at most a replay's worth), and skips those ids and everything up to
 * the `Last-Event-ID` from then on. It does not skip every id below the highest it sent: ids are taken when an event is
 * written, so concurrent writers commit (and announce) them out of order, and an event committed a moment later than a
 * higher id would be lost. (A set of every id sent, as streams kept before, grew in step on every stream: a hundred
 * streams resized theirs in the same flush, and the process stalled for about 100 ms each time.)
 */
export function createStreamWriter(floor: number, out: (chunk: string | Buffer) => void) {
  const replayed = new Set<number>();
  const held: RealtimeFrame[] = [];
  let replaying = true;
  const fresh = (frame: RealtimeFrame) => frame.id > floor && !replayed.has(frame.id);

  function write(frames: readonly RealtimeFrame[], encoded?: Buffer) {
    // Usually every frame is new to this stream and the hub's shared encoding is written as it is.
    if (encoded !== undefined && frames.length > 0 && frames.every(fresh)) {
      out(encoded);
      return;
    }
    let text = '';
    for (const frame of frames) {
      if (!fresh(frame)) continue;
      if (replaying) replayed.add(frame.id);
      text += frame.text;
    }
    if (text) out(text);
  }

  return {
    /** A flush of the hub: held while the replay is read, written from then on. */
    live(frames: readonly RealtimeFrame[], encoded: Buffer) {
      if (replaying) held.push(...frames);
      else write(frames, encoded);
    },
    /** Writes the replay (empty when the stream did not resume), then what the hub sent meanwhile. */
    replayed(frames: readonly RealtimeFrame[]) {
      write(frames);
      write(held.splice(0));
      replaying = false;
    },
  };
}
