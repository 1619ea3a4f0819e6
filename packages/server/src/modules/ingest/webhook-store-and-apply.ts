import type { InboxUnitOfWork, InboxUnitsOfWork } from '../../events/inbox-events.ts';
import { isConnectionError } from '../../shared/db-errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ClaimedEvent, WebhookEventOutcome, WebhookEventsRepository } from '../intake/webhook-events.repository.ts';

export type StoreAndApplyDeps = {
  units: InboxUnitsOfWork;
  repo: WebhookEventsRepository;
  log: Logger;
  /** How long Meta's answer may wait for a batch to be applied (the processor's `applyWithinMs`). */
  applyWithinMs: number;
  /**
   * Whether this process's processor runs (`serve`): what is stored unapplied is offered to it. Otherwise (`serve
   * --no-workers`) it is announced (NOTIFY) to the processes whose processors run.
   */
  running(): boolean;
  /** Applies events in `uow` (the processor's rounds do the same with claimed events); answers what came of each. */
  apply(uow: InboxUnitOfWork, events: ClaimedEvent[]): Promise<WebhookEventOutcome[]>;
  /** Hands events stored unapplied to the processor's rounds. */
  offer(events: { id: number; body: Buffer }[]): void;
};

/**
 * Stores POSTs this process received and applies them in the same transaction: one round whose insert takes the
 * place of the claim, one commit for both (bench:crm: the separate insert and its commit were about 40 % of the
 * statements per event). Answers their ids, in order, once committed. A batch that fails to apply, or takes longer
 * than `applyWithinMs`, is stored unapplied instead and offered to the processor, whose rounds retry it and isolate
 * the event at fault; a lost connection fails the batch (the route answers 503, and Meta sends it again).
 * `serve --no-workers` applies the same way, and announces what it stores unapplied to the workers' processors; the
 * CRM deliveries it writes are announced to their dispatchers (crm-outbox.ts).
 */
export function createStoreAndApply(deps: StoreAndApplyDeps) {
  /** The batch in one unit of work: the ids first (what the events write may name them), the rows last, each once. */
  const applyStored = (items: readonly { body: Buffer; secretIndex: number }[]) =>
    deps.units.run(async (uow) => {
      const ids = await deps.repo.allocateIds(uow.tx, items.length);
      const events = items.map((item, i) => ({ ...item, id: ids[i] as number }));
      const outcomes = new Map((await deps.apply(uow, events.map((e) => ({ id: e.id, body: e.body, attempts: 1 })))).map((o) => [o.id, o]));
      await deps.repo.insertApplied(
        uow.tx,
        events.map((e) => ({
          ...(outcomes.get(e.id) ?? { id: e.id, status: 'unhandled' as const, accountIgIds: [], eventCount: 0, error: null, items: null }),
          body: e.body,
          secretIndex: e.secretIndex,
        })),
      );
      return ids;
    });

  return async function storeAndApply(items: readonly { body: Buffer; secretIndex: number }[]): Promise<number[]> {
    const applying = applyStored(items);
    let timer: NodeJS.Timeout | undefined;
    try {
      const ids = await Promise.race([
        applying,
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), deps.applyWithinMs);
        }),
      ]);
      if (ids) return ids;
      // Slow (a lock, a slow query): Meta's answer must not wait on applying. The batch is stored again, unapplied;
      // if the slow round commits too, its copies are duplicates, which applying again leaves as they are.
      applying.catch(() => undefined);
      deps.log.warn({ events: items.length, afterMs: deps.applyWithinMs }, 'applying webhooks as they were stored is slow: stored for the processing rounds');
    } catch (error) {
      if (isConnectionError(error)) throw error;
      deps.log.warn({ err: error, events: items.length }, 'webhooks could not be applied as they were stored: stored for the processing rounds');
    } finally {
      clearTimeout(timer);
    }
    const local = deps.running();
    const ids = await deps.repo.insertRawMany(items, { announce: !local });
    if (local) deps.offer(ids.map((id, i) => ({ id, body: (items[i] as { body: Buffer }).body })));
    return ids;
  };
}
