/** Stored events held for the processor's loops (`offer`): at most this many, and this many bytes of bodies. */
const MAX_OFFERED = 1_000;
const MAX_OFFERED_BYTES = 16 * 1024 * 1024;

/**
 * The events offered to the webhook processor and not yet claimed, by id, in the order they were stored: with the
 * body this process stored, or null when another process announced them (the claim reads the body). Bounded: what
 * does not fit is left for the queue scan.
 */
export function createOffers() {
  const offered = new Map<number, Buffer | null>();
  let bytes = 0;

  const forget = (id: number) => {
    const body = offered.get(id);
    if (body === undefined) return;
    offered.delete(id);
    bytes -= body?.length ?? 0;
  };

  return {
    get size() {
      return offered.size;
    },
    /** An event this process stored, with its body. */
    add(event: { id: number; body: Buffer }) {
      if (offered.size < MAX_OFFERED && bytes + event.body.length <= MAX_OFFERED_BYTES) {
        offered.set(event.id, event.body);
        bytes += event.body.length;
      }
    },
    /** An event another process stored (announced by id). */
    addId(id: number) {
      if (offered.size < MAX_OFFERED && !offered.has(id)) offered.set(id, null);
    },
    /** Takes (and forgets) up to `limit` of them, oldest first. */
    take(limit: number): Map<number, Buffer | null> {
      const taken = new Map<number, Buffer | null>();
      for (const [id, body] of offered) {
        if (taken.size >= limit) break;
        taken.set(id, body);
        forget(id);
      }
      return taken;
    },
    forget,
    clear() {
      offered.clear();
      bytes = 0;
    },
  };
}
