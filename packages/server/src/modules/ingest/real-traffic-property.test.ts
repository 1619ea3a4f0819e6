import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { createAccount } from '../../../test/factories.ts';
import { META_ENV, postSigned } from '../../../test/meta.ts';
import { queryRows } from '../../db/client.ts';

// Generated mixtures of the variants of real traffic (§3.7: messages, reactions, edits, unsends and seen receipts in
// their real shapes), duplicated and reordered, through the real webhook endpoint: no event ends failed, every text
// appears once, and a reaction sent before its message ends on it.

const IG = '17841400000031337';
type Item = Record<string, unknown>;

/** One customer's conversation: messages, each maybe reacted to, edited, unsent; every item in some real shape. */
type Story = { texts: string[]; reacted: boolean[]; edited: boolean[]; unsent: boolean[]; seen: boolean };

const shapes = fc.record({
  seconds: fc.boolean(),
  stringTimes: fc.boolean(),
  stringFlags: fc.boolean(),
  emojiOnly: fc.boolean(),
  seenWithoutSender: fc.boolean(),
  standby: fc.boolean(),
  numEditAsString: fc.boolean(),
});
type Shapes = typeof shapes extends fc.Arbitrary<infer T> ? T : never;

let run = 0;
function itemsOf(story: Story, customer: string, base: number, s: Shapes): Item[] {
  const time = (ms: number) => {
    const value = s.seconds ? Math.floor(ms / 1000) : ms;
    return s.stringTimes ? String(value) : value;
  };
  const from = { sender: { id: customer }, recipient: { id: IG } };
  const items: Item[] = [];
  story.texts.forEach((text, i) => {
    const mid = `mid-${run}-${customer}-${i}`;
    const at = base + i * 10_000; // 10 s apart: distinct even in seconds
    items.push({ ...from, timestamp: time(at), message: { mid, text } });
    if (story.reacted[i]) {
      items.push({ ...from, timestamp: time(at + 1_000), reaction: s.emojiOnly ? { mid, action: 'react', emoji: '👍' } : { mid, action: 'react', reaction: 'like', emoji: '👍' } });
    }
    if (story.edited[i]) items.push({ ...from, timestamp: time(at + 2_000), message_edit: { mid, text: `${text} (edited)`, num_edit: s.numEditAsString ? '1' : 1 } });
    if (story.unsent[i]) items.push({ ...from, timestamp: time(at + 3_000), message: { mid, is_deleted: s.stringFlags ? 'true' : true } });
  });
  if (story.seen && story.texts.length > 0) {
    const read = { recipient: { id: IG }, timestamp: time(base + 5_000), read: { mid: `mid-${run}-${customer}-0` } };
    items.push(s.seenWithoutSender ? read : { sender: { id: customer }, ...read });
  }
  return items;
}

describe('generated mixtures of real-traffic variants', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(META_ENV);
    await t.startWorkers();
    await createAccount(t.database.db, { igUserId: IG });
  });
  afterAll(async () => t.close());

  it('end with no failed event, every text once, and every reaction on its message', async () => {
    const story = fc.record({
      texts: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 }),
      reacted: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      edited: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      unsent: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      seen: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(story, { minLength: 1, maxLength: 3 }),
        shapes,
        // how the items are cut into POSTs, how each POST is duplicated, in which order the POSTs arrive
        fc.array(fc.nat({ max: 3 }), { minLength: 40, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 40, maxLength: 40 }),
        fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
        async (stories, s, cuts, copies, order) => {
          run += 1;
          const customers = stories.map((_, i) => `${9_000_000 + run * 10 + i}`);
          const items = stories.flatMap((st, i) => itemsOf(st, customers[i] ?? '', 1_700_000_000_000 + run * 1_000_000, s));
          const posts: Item[][] = [];
          for (let i = 0, k = 0; i < items.length; k += 1) {
            const size = (cuts[k % cuts.length] ?? 0) + 1;
            posts.push(items.slice(i, i + size));
            i += size;
          }
          const deliveries = posts.flatMap((p, i) => Array.from({ length: copies[i % copies.length] ?? 1 }, () => p));
          const shuffled = deliveries.map((p, i) => ({ p, key: order[i % order.length] ?? 0, i })).sort((a, b) => a.key - b.key || a.i - b.i);
          for (const { p } of shuffled) {
            const res = await postSigned(t, { object: 'instagram', entry: [{ id: IG, time: Date.now(), [s.standby ? 'standby' : 'messaging']: p }] });
            expect(res.statusCode).toBe(200);
          }
          await t.services.webhookProcessor.runUntilIdle();

          const notProcessed = await queryRows(t.database.db, sql`select id, status from webhook_events where status <> 'processed'`);
          expect(notProcessed).toEqual([]);
          for (const [i, st] of stories.entries()) {
            const rows = await queryRows<{ text: string | null; reactions: number }>(
              t.database.db,
              sql`select m.text, (select count(*)::int from message_reactions r where r.message_id = m.id) as reactions
                  from messages m join conversations c on c.id = m.conversation_id join contacts k on k.id = c.contact_id
                  where k.igsid = ${customers[i] ?? ''} order by m.sent_at`,
            );
            // an unsent message stays as a tombstone without text, whichever of its items came first
            expect(rows.map((r) => r.text)).toEqual(st.texts.map((text, j) => (st.unsent[j] ? null : st.edited[j] ? `${text} (edited)` : text)));
            expect(rows.map((r) => r.reactions)).toEqual(st.texts.map((_, j) => (st.reacted[j] ? 1 : 0)));
          }
          const waiting = await queryRows(t.database.db, sql`select mid, kind from waiting_events where applied_at is null and mid like ${`mid-${run}-%`}`);
          expect(waiting).toEqual([]);
        },
      ),
      { numRuns: 25 },
    );
  });
});
