import type { Db } from '../../db/client.ts';
import type { InboxEvent } from '../../events/inbox-events.ts';
import { applyCacheKey, type ApplyCache, type ApplyHooks } from './ingest-apply.ts';
import { ingestRepository } from './ingest.repository.ts';

// A processing batch's contacts and conversations: found in the cache, or created or read set-wise, then locked in
// id order for the rest of the transaction. (The batch's messages are written by ingest-bulk.ts.)

/**
 * Contacts' conversations this process has already created or read, by `applyCacheKey`, for the next batches: a
 * hint, not a truth (a conversation can be deleted with its contact or account, or its insert rolled back), checked
 * by the locking read every batch makes anyway. Bounded: past `max` entries the oldest are forgotten.
 */
export type KnownConversations = {
  get(key: string): { contactId: string; conversationId: string } | undefined;
  set(key: string, value: { contactId: string; conversationId: string }): void;
  delete(key: string): void;
};

export function createKnownConversations(max = 50_000): KnownConversations {
  const map = new Map<string, { contactId: string; conversationId: string }>();
  return {
    get: (key) => map.get(key),
    set(key, value) {
      map.delete(key);
      map.set(key, value);
      for (const oldest of map.keys()) {
        if (map.size <= max) break;
        map.delete(oldest);
      }
    },
    delete: (key) => void map.delete(key),
  };
}

type Pair = { accountId: string; igsid: string; at: number };

/**
 * Every contact and conversation a batch touches, created or read set-wise, then locked in one global order (id),
 * so that concurrent batches never deadlock: whatever a batch updates later, it already holds. Pairs this process
 * already knows (`known`) skip the create-or-read; the lock, which answers the ids it found, confirms them, and the
 * few it did not find are created or read as new and locked after the others (the only case where the order is not
 * global: a conversation deleted, or rolled back, since this process saw it; a deadlock there fails the batch, which
 * is retried).
 */
export async function ensureConversations(
  tx: Db,
  pairsIn: Pair[],
  hooks: ApplyHooks,
  cache: ApplyCache,
  known?: KnownConversations,
): Promise<InboxEvent[]> {
  const events: InboxEvent[] = [];
  const keyOf = (p: Pair) => applyCacheKey(p.accountId, p.igsid);
  const hinted = new Set<string>();
  if (known) {
    for (const p of pairsIn) {
      const key = keyOf(p);
      const hint = cache.has(key) ? undefined : known.get(key);
      if (!hint) continue;
      cache.set(key, hint);
      hinted.add(key);
    }
  }
  await createOrRead(tx, pairsIn.filter((p) => !cache.has(keyOf(p))), hooks, cache, events, known);

  const locked = await lockConversations(tx, pairsIn, cache);
  const gone = pairsIn.filter((p) => hinted.has(keyOf(p)) && !locked.has(cache.get(keyOf(p))?.conversationId ?? ''));
  if (gone.length > 0) {
    for (const p of gone) {
      cache.delete(keyOf(p));
      known?.delete(keyOf(p));
    }
    await createOrRead(tx, gone, hooks, cache, events, known);
    await lockConversations(tx, gone, cache);
  }
  return events;
}

/** Locks the conversations of `pairs` (known to `cache`) in id order; answers the ids found. */
async function lockConversations(tx: Db, pairs: Pair[], cache: ApplyCache): Promise<Set<string>> {
  const ids = [...new Set(pairs.map((p) => cache.get(applyCacheKey(p.accountId, p.igsid))?.conversationId).filter((id): id is string => Boolean(id)))].sort();
  if (ids.length === 0) return new Set();
  const rows = await ingestRepository.lockConversations(tx, ids);
  return new Set(rows.map((r) => r.id));
}

/** Creates or reads the contacts and conversations of `pairsIn`, in one order (account, IGSID). */
async function createOrRead(tx: Db, pairsIn: Pair[], hooks: ApplyHooks, cache: ApplyCache, events: InboxEvent[], known: KnownConversations | undefined) {
  const missingPairs = [...new Map(pairsIn.map((p) => [applyCacheKey(p.accountId, p.igsid), p])).values()].sort(
    (a, b) => a.accountId.localeCompare(b.accountId) || a.igsid.localeCompare(b.igsid),
  );
  if (missingPairs.length === 0) return;
  const contacts = (
    await ingestRepository.insertOrRead(tx, 'contacts', 'igsid', missingPairs.map((p) => p.accountId), missingPairs.map((p) => p.igsid), 'text[]')
  ).sort((a, b) => a.account_id.localeCompare(b.account_id) || a.id.localeCompare(b.id));
  const convByContact = new Map(
    (await ingestRepository.insertOrRead(tx, 'conversations', 'contact_id', contacts.map((c) => c.account_id), contacts.map((c) => c.id), 'uuid[]')).map((c) => [c.key, c]),
  );
  const firstAt = new Map<string, number>();
  for (const p of pairsIn) {
    const k = applyCacheKey(p.accountId, p.igsid);
    const prev = firstAt.get(k);
    if (prev === undefined || p.at < prev) firstAt.set(k, p.at);
  }
  const fresh = contacts.filter((c) => c.inserted).map((c) => ({ id: c.id, accountId: c.account_id, igsid: c.key }));
  if (fresh.length > 0) await hooks.onNewContacts(tx, fresh);
  for (const c of contacts) {
    const conv = convByContact.get(c.id);
    if (!conv) throw new Error('conversation upsert returned nothing');
    const key = applyCacheKey(c.account_id, c.key);
    cache.set(key, { contactId: c.id, conversationId: conv.id });
    known?.set(key, { contactId: c.id, conversationId: conv.id });
    if (conv.inserted) {
      const at = firstAt.get(key);
      events.push({ type: 'conversation.created', accountId: c.account_id, conversationId: conv.id, occurredAt: at === undefined ? new Date() : new Date(at) });
    }
  }
}
