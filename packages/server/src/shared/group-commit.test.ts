import { describe, expect, it } from 'vitest';
import { createGroupCommit, StalledWriteError, type WriteTimings } from './group-commit.ts';

/** A write the test finishes by hand, recording each batch it was given. */
function manualWriter<T>() {
  const batches: T[][] = [];
  const pending: { finish: () => void; fail: (error: Error) => void }[] = [];
  const write = (items: T[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push([...items]);
      pending.push({ finish: () => resolve(items.map((i) => `stored ${String(i)}`)), fail: reject });
    });
  const next = async () => {
    while (pending.length === 0) await new Promise((r) => setTimeout(r, 1));
    const first = pending.shift();
    if (!first) throw new Error('no write under way');
    return first;
  };
  return { batches, write, next };
}

describe('group commit', () => {
  it('writes an item at a quiet moment at once, alone', async () => {
    const w = manualWriter<string>();
    const group = createGroupCommit({ write: w.write, maxBatch: 10 });
    const a = group.submit('a');
    expect(w.batches).toEqual([['a']]);
    (await w.next()).finish();
    await expect(a).resolves.toBe('stored a');
  });

  it('puts the items that arrive during a write together in the next one, each answered with its own result', async () => {
    const w = manualWriter<string>();
    const group = createGroupCommit({ write: w.write, maxBatch: 10 });
    const a = group.submit('a');
    const rest = ['b', 'c', 'd'].map((x) => group.submit(x));
    expect(w.batches).toEqual([['a']]);
    (await w.next()).finish();
    (await w.next()).finish();
    await expect(Promise.all([a, ...rest])).resolves.toEqual(['stored a', 'stored b', 'stored c', 'stored d']);
    expect(w.batches).toEqual([['a'], ['b', 'c', 'd']]);
    await group.idle();
  });

  it('splits what waits by count and by weight; an item heavier than the limit goes alone', async () => {
    const w = manualWriter<number>();
    const group = createGroupCommit({ write: w.write, maxBatch: 3, maxWeight: 10, weigh: (n: number) => n });
    const all = [1, 1, 1, 1, 1, 6, 6, 50, 2].map((n) => group.submit(n));
    for (let i = 0; i < 6; i += 1) (await w.next()).finish();
    await Promise.all(all);
    expect(w.batches).toEqual([[1], [1, 1, 1], [1, 6], [6], [50], [2]]);
  });

  it('rejects every item of a failed write, and the next write goes on', async () => {
    const w = manualWriter<string>();
    const group = createGroupCommit({ write: w.write, maxBatch: 10 });
    const a = group.submit('a');
    const b = group.submit('b');
    const c = group.submit('c');
    (await w.next()).finish();
    (await w.next()).fail(new Error('database gone'));
    await expect(a).resolves.toBe('stored a');
    await expect(b).rejects.toThrow('database gone');
    await expect(c).rejects.toThrow('database gone');
    const d = group.submit('d');
    (await w.next()).finish();
    await expect(d).resolves.toBe('stored d');
  });

  it('with retrySingly, writes a failed batch again one item at a time so only the bad item fails', async () => {
    const heard: number[] = [];
    const batches: string[][] = [];
    const group = createGroupCommit({
      write: async (items: string[]) => {
        batches.push(items);
        if (items.includes('bad')) throw new Error('bad item');
        return items.map((i) => i.toUpperCase());
      },
      maxBatch: 10,
      retrySingly: true,
      onBatchError: (_error, count) => heard.push(count),
    });
    const first = group.submit('first');
    const others = ['x', 'bad', 'y'].map((i) => group.submit(i));
    await expect(first).resolves.toBe('FIRST');
    const settled = await Promise.allSettled(others);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(heard).toEqual([3]);
    expect(batches).toEqual([['first'], ['x', 'bad', 'y'], ['x'], ['bad'], ['y']]);
  });

  it('refuses a write that answers the wrong number of results', async () => {
    const group = createGroupCommit({ write: async (items: string[]) => items.slice(1), maxBatch: 10 });
    await expect(group.submit('a')).rejects.toThrow('answered 0 results for 1 items');
  });

  it('gives up on a write that hangs past abandonAfterMs: its items fail, the next batch is written at once', async () => {
    const hung: (() => void)[] = [];
    const group = createGroupCommit({
      write: async (items: string[]) => {
        if (items.includes('hangs')) await new Promise<void>((resolve) => hung.push(resolve));
        return items.map((i) => i.toUpperCase());
      },
      maxBatch: 10,
      abandonAfterMs: 50,
    });
    const stuck = group.submit('hangs');
    const behind = group.submit('behind');
    await expect(stuck).rejects.toBeInstanceOf(StalledWriteError);
    await expect(behind).resolves.toBe('BEHIND');
    // the hung write finishing later changes nothing
    for (const release of hung) release();
    await group.idle();
    await expect(group.submit('after')).resolves.toBe('AFTER');
  });

  it('with a retrySingly predicate, writes a batch one by one only for the errors it names', async () => {
    const batches: string[][] = [];
    const group = createGroupCommit({
      write: async (items: string[]) => {
        batches.push(items);
        throw Object.assign(new Error('connection lost'), { code: 'ECONNRESET' });
      },
      maxBatch: 10,
      retrySingly: (error) => !(error instanceof Error && 'code' in error),
    });
    const first = group.submit('a');
    const rest = [group.submit('b'), group.submit('c')];
    await expect(first).rejects.toThrow('connection lost');
    expect((await Promise.allSettled(rest)).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(batches).toEqual([['a'], ['b', 'c']]);
  });

  it('with gatherMs, waits that long for more items before a write that is not full, and never once it is', async () => {
    const w = manualWriter<string>();
    const group = createGroupCommit({ write: w.write, maxBatch: 3, gatherMs: 30 });
    const a = group.submit('a');
    await new Promise((r) => setTimeout(r, 10));
    expect(w.batches).toEqual([]); // still gathering
    const b = group.submit('b');
    (await w.next()).finish();
    expect(await Promise.all([a, b])).toEqual(['stored a', 'stored b']);
    // a full batch goes at once, without the wait
    const full = ['c', 'd', 'e'].map((x) => group.submit(x));
    const started = Date.now();
    (await w.next()).finish();
    await Promise.all(full);
    expect(w.batches).toEqual([['a', 'b'], ['c', 'd', 'e']]);
    expect(Date.now() - started).toBeLessThan(30);
  });

  it('tells of each write how many items it took, how long each waited for it and how long it took, failed or not', async () => {
    const w = manualWriter<string>();
    const heard: WriteTimings[] = [];
    const group = createGroupCommit({ write: w.write, maxBatch: 10, gatherMs: 20, onWritten: (write) => heard.push(write) });
    const a = group.submit('a');
    await new Promise((r) => setTimeout(r, 5));
    const b = group.submit('b');
    const first = await w.next();
    await new Promise((r) => setTimeout(r, 15));
    first.finish();
    await Promise.all([a, b]);
    const c = group.submit('c');
    (await w.next()).fail(new Error('the database went away'));
    await expect(c).rejects.toThrow('the database went away');
    expect(heard.map((h) => [h.items, h.ok])).toEqual([
      [2, true],
      [1, false],
    ]);
    const [both] = heard;
    // the first item waited the whole gathering delay, the second the rest of it; timers may fire a little late
    expect(both?.waitedMs[0]).toBeGreaterThanOrEqual(19);
    expect(both?.waitedMs[1]).toBeLessThan(both?.waitedMs[0] ?? 0);
    expect(both?.writeMs).toBeGreaterThanOrEqual(14);
  });

  it('keeps a write that succeeded a success when the observer of writes throws', async () => {
    const w = manualWriter<string>();
    const group = createGroupCommit({
      write: w.write,
      maxBatch: 10,
      retrySingly: true,
      onWritten: () => {
        throw new Error('observer broke');
      },
    });
    const both = [group.submit('a'), group.submit('b')];
    (await w.next()).finish();
    (await w.next()).finish();
    await expect(Promise.all(both)).resolves.toEqual(['stored a', 'stored b']);
    // written once each, not written again one by one as after a failed batch
    expect(w.batches).toEqual([['a'], ['b']]);
  });
});
