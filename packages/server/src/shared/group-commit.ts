/**
 * Group commit: items submitted while a write is under way wait for it, then go together in the next write, so
 * under load the database work per item shrinks (one statement and one commit for many items) while an item
 * arriving at a quiet moment is written at once. One write runs at a time.
 */
export type GroupCommit<In, Out> = {
  /** Resolves with the item's own result once its batch is written; rejects if its write failed. */
  submit(item: In): Promise<Out>;
  /** Resolves when nothing is waiting or being written. */
  idle(): Promise<void>;
};

export type GroupCommitOptions<In, Out> = {
  /** Writes a batch; answers one result per item, in the items' order. */
  write(items: In[]): Promise<Out[]>;
  /** the most items one write takes (the rest wait for the next) */
  maxBatch: number;
  /** with `weigh`: the most weight (bytes, say) one write takes; an item heavier than that goes alone */
  maxWeight?: number;
  weigh?(item: In): number;
  /**
   * A failed batch of several items is written again one item at a time, so one bad item fails alone (its
   * promise rejects) and the others succeed. `onBatchError` hears of the batch's failure first. A function decides
   * by the error (a lost connection fails every item alike: no use writing them one by one).
   */
  retrySingly?: boolean | ((error: unknown) => boolean);
  onBatchError?(error: unknown, count: number): void;
  /**
   * A write still under way after this long is given up on: its items reject with a StalledWriteError and the
   * next batch is written at once, while the stalled one finishes (or fails) in the background. A connection that a
   * network dropped without a word can hang for minutes; nothing queued behind it should.
   */
  abandonAfterMs?: number;
  /**
   * How long a write waits for more items before it starts, unless it is full already (0: none). For writes whose
   * cost is mostly per write, not per item: POSTs stored and applied together (webhooks.routes.ts).
   */
  gatherMs?: number;
  /**
   * Hears of each write as it ends: how many items it took, how long each had waited for it to start (the gathering
   * delay and any write ahead of it), how long it took, and whether it succeeded (metrics: where an item's time goes).
   */
  onWritten?(write: WriteTimings): void;
};

export type WriteTimings = { items: number; waitedMs: number[]; writeMs: number; ok: boolean };

export class StalledWriteError extends Error {
  constructor(ms: number) {
    super(`database stalled: the write did not finish within ${ms} ms`);
    this.name = 'StalledWriteError';
  }
}

export function createGroupCommit<In, Out>(opts: GroupCommitOptions<In, Out>): GroupCommit<In, Out> {
  type Waiting = { item: In; resolve: (out: Out) => void; reject: (error: unknown) => void; at: number };
  const waiting: Waiting[] = [];
  let writer: Promise<void> | null = null;

  /** Tells `onWritten`; whatever it does, a write's outcome stays what it was (a throw here must not fail a batch). */
  function written(batch: Waiting[], started: number, ok: boolean) {
    if (!opts.onWritten) return;
    try {
      opts.onWritten({ items: batch.length, waitedMs: batch.map((w) => started - w.at), writeMs: performance.now() - started, ok });
    } catch {
      // an observer's failure is not the write's
    }
  }

  async function writeBatch(batch: Waiting[]): Promise<void> {
    const started = performance.now();
    try {
      const results = await opts.write(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`a group write answered ${results.length} results for ${batch.length} items`);
      written(batch, started, true);
      batch.forEach((w, i) => w.resolve(results[i] as Out));
    } catch (error) {
      written(batch, started, false);
      const single = typeof opts.retrySingly === 'function' ? opts.retrySingly(error) : opts.retrySingly;
      if (!single || batch.length === 1) {
        for (const w of batch) w.reject(error);
        return;
      }
      opts.onBatchError?.(error, batch.length);
      for (const w of batch) await writeBatch([w]);
    }
  }

  /** How many of the waiting items the next write takes. */
  function nextBatchSize(): number {
    const { weigh, maxWeight } = opts;
    if (!weigh || maxWeight === undefined) return opts.maxBatch;
    let n = 0;
    let weight = 0;
    for (const w of waiting) {
      weight += weigh(w.item);
      if (n >= opts.maxBatch || (n > 0 && weight > maxWeight)) break;
      n += 1;
    }
    return n;
  }

  /** Writes a batch; with `abandonAfterMs`, returns by then at the latest, the batch failed if it was not written. */
  async function writeWithin(batch: Waiting[]): Promise<void> {
    const limit = opts.abandonAfterMs;
    if (limit === undefined) return writeBatch(batch);
    let timer: NodeJS.Timeout | undefined;
    const write = writeBatch(batch);
    const inTime = await Promise.race([
      write.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), limit);
      }),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      const error = new StalledWriteError(limit);
      // a promise settles once: if the write ends later, its results go nowhere
      for (const w of batch) w.reject(error);
    }
  }

  const gather = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  async function drain(): Promise<void> {
    while (waiting.length > 0) {
      // not full (by count, or by weight when the next batch would leave items waiting): wait for others to join it
      if (opts.gatherMs && Math.min(nextBatchSize(), waiting.length) === waiting.length && waiting.length < opts.maxBatch) await gather(opts.gatherMs);
      await writeWithin(waiting.splice(0, nextBatchSize()));
    }
    writer = null;
  }

  return {
    submit(item) {
      return new Promise<Out>((resolve, reject) => {
        waiting.push({ item, resolve, reject, at: performance.now() });
        writer ??= drain();
      });
    },
    async idle() {
      while (writer) await writer;
    },
  };
}
