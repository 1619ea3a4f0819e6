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
   * promise rejects) and the others succeed. `onBatchError` hears of the batch's failure first.
   */
  retrySingly?: boolean;
  onBatchError?(error: unknown, count: number): void;
};

export function createGroupCommit<In, Out>(opts: GroupCommitOptions<In, Out>): GroupCommit<In, Out> {
  type Waiting = { item: In; resolve: (out: Out) => void; reject: (error: unknown) => void };
  const waiting: Waiting[] = [];
  let writer: Promise<void> | null = null;

  async function writeBatch(batch: Waiting[]): Promise<void> {
    try {
      const results = await opts.write(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`a group write answered ${results.length} results for ${batch.length} items`);
      batch.forEach((w, i) => w.resolve(results[i] as Out));
    } catch (error) {
      if (!opts.retrySingly || batch.length === 1) {
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

  async function drain(): Promise<void> {
    while (waiting.length > 0) await writeBatch(waiting.splice(0, nextBatchSize()));
    writer = null;
  }

  return {
    submit(item) {
      return new Promise<Out>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        writer ??= drain();
      });
    },
    async idle() {
      while (writer) await writer;
    },
  };
}
