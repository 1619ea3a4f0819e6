import { describe, expect, it } from 'vitest';
import {
  FIXTURE_ACCOUNT_IG_ID as ACCOUNT,
  FIXTURE_CUSTOMER_IGSID as CUSTOMER,
  listMetaWebhookFixtures,
  loadMetaWebhookFixture,
} from '../../test/fixtures/meta-webhooks/load-fixture.ts';
import { parseMetaWebhook } from './webhook-payload.ts';
import { signMetaBody, verifyMetaSignature } from './webhook-signature.ts';
import type { ParsedEntry, ParsedWebhook } from './webhook-payload.ts';

function instagram(body: unknown): Extract<ParsedWebhook, { kind: 'instagram' }> {
  const parsed = parseMetaWebhook(body);
  if (parsed.kind !== 'instagram') throw new Error(`expected instagram, got invalid: ${parsed.reason}`);
  return parsed;
}

function firstEntry(body: unknown): ParsedEntry {
  const entry = instagram(body).entries[0];
  if (entry === undefined) throw new Error('no entry');
  return entry;
}

describe('parseMetaWebhook envelope', () => {
  it('rejects a body that is not an object', () => {
    for (const body of [null, undefined, 'instagram', 42, [], [{ object: 'instagram' }]]) {
      expect(parseMetaWebhook(body)).toEqual({ kind: 'invalid', reason: 'not_an_object' });
    }
  });

  it('rejects an object other than instagram', () => {
    for (const object of ['page', 'Instagram', undefined, 1]) {
      expect(parseMetaWebhook({ object, entry: [] })).toEqual({ kind: 'invalid', reason: 'not_instagram' });
    }
  });

  it('rejects an entry that is not an array', () => {
    for (const entry of [undefined, null, {}, 'x']) {
      expect(parseMetaWebhook({ object: 'instagram', entry })).toEqual({ kind: 'invalid', reason: 'entry_not_array' });
    }
  });

  it('accepts an empty entry list', () => {
    expect(parseMetaWebhook({ object: 'instagram', entry: [] })).toEqual({
      kind: 'instagram',
      entries: [],
      rejectedEntries: [],
    });
  });

  it('reads the entry id and time, and tolerates fields it does not know', () => {
    const body = { object: 'instagram', extra: true, entry: [{ id: ACCOUNT, time: 1569262486134, new_field: {} }] };
    expect(instagram(body).entries).toEqual([{ index: 0, id: ACCOUNT, time: 1569262486134, events: [], unhandled: [] }]);
  });

  it('keeps entry time null when absent or not an integer', () => {
    expect(firstEntry({ object: 'instagram', entry: [{ id: ACCOUNT }] }).time).toBeNull();
    expect(firstEntry({ object: 'instagram', entry: [{ id: ACCOUNT, time: 1.5 }] }).time).toBeNull();
  });
});

describe('batches', () => {
  it('reads several entries, each with several messaging items, in order', () => {
    const parsed = instagram(loadMetaWebhookFixture('batch-several-entries').body);
    expect(parsed.entries.map((entry) => entry.id)).toEqual([ACCOUNT, '17841400000000002']);
    expect(parsed.entries[0]?.events.map((event) => [event.type, event.direction])).toEqual([
      ['message', 'inbound'],
      ['message', 'inbound'],
      ['message', 'outbound'],
    ]);
    expect(parsed.entries[1]?.events.map((event) => event.type)).toEqual(['message', 'read']);
    expect(parsed.entries[1]?.events.every((event) => event.accountIgId === '17841400000000002')).toBe(true);
    expect(parsed.entries[1]?.events[0]).toMatchObject({ contactIgsid: '2233445566778899', text: 'other account' });
  });

  it('reads a batch of 1,000 messages without losing or reordering one', () => {
    const messaging = Array.from({ length: 1000 }, (_, index) => ({
      sender: { id: `${1_000_000_000_000_000 + index}` },
      recipient: { id: ACCOUNT },
      timestamp: 1_700_000_000_000 + index,
      message: { mid: `mid.bulk.${index}`, text: `message ${index}` },
    }));
    const events = firstEntry({ object: 'instagram', entry: [{ id: ACCOUNT, time: 1, messaging }] }).events;
    expect(events).toHaveLength(1000);
    expect(events.every((event, index) => event.type === 'message' && event.mid === `mid.bulk.${index}`)).toBe(true);
    expect(events[999]).toMatchObject({ contactIgsid: '1000000000000999', timestamp: 1_700_000_000_999 });
  });

  it('keeps the good items of a batch around malformed ones', () => {
    const parsed = instagram(loadMetaWebhookFixture('malformed-items-in-batch').body);
    const events = parsed.entries[0]?.events ?? [];
    expect(events.map((event) => (event.type === 'unknown' ? event.reason : event.type))).toEqual([
      'message',
      'item_not_object',
      'invalid_sender',
      'invalid_timestamp',
      'malformed_item',
      'malformed_item',
      'unrecognised_item',
      'message',
    ]);
    expect(events[4]).toMatchObject({ detail: 'message.mid: Invalid input', senderId: CUSTOMER, direction: 'inbound' });
    expect(events[5]).toMatchObject({ detail: expect.stringContaining('reaction.action') });
    expect(events[6]).toMatchObject({ detail: 'keys: optin', contactIgsid: CUSTOMER, timestamp: 1569262486114 });
    expect(events[2]).toMatchObject({ senderId: null, recipientId: ACCOUNT, contactIgsid: null, direction: null });
    expect(events[1]).toMatchObject({ raw: 'not an object', senderId: null, timestamp: null });
    expect(events[3]).toMatchObject({ timestamp: null, raw: expect.objectContaining({ timestamp: 'yesterday' }) });
  });

  it('keeps entries after a rejected one, and says which were rejected', () => {
    const parsed = instagram(loadMetaWebhookFixture('malformed-items-in-batch').body);
    expect(parsed.entries.map((entry) => entry.id)).toEqual([ACCOUNT, '17841400000000002']);
    expect(parsed.entries[1]?.time).toBeNull();
    expect(parsed.entries[1]?.events[0]).toMatchObject({ type: 'message', mid: 'mid.good.3' });
    expect(parsed.rejectedEntries).toEqual([
      { index: 1, reason: 'entry_not_object', raw: 'entry that is a string' },
      { index: 2, reason: 'invalid_entry_id', detail: expect.stringContaining('id'), raw: expect.anything() },
    ]);
  });

  it('keeps a messaging list that is not an array as unhandled instead of guessing', () => {
    const entry = firstEntry({ object: 'instagram', entry: [{ id: ACCOUNT, messaging: { not: 'a list' } }] });
    expect(entry.events).toEqual([]);
    expect(entry.unhandled).toEqual([{ field: 'messaging', value: { not: 'a list' }, raw: { not: 'a list' }, path: 'entry[0].messaging' }]);
  });
});

describe('ids and timestamps', () => {
  it('turns numeric ids into exact strings when the body was parsed preserving big integers', () => {
    const entry = firstEntry(loadMetaWebhookFixture('numeric-ids').body);
    expect(entry.id).toBe('17841405793187218');
    expect(entry.events[0]).toMatchObject({
      type: 'message',
      accountIgId: '17841405793187218',
      senderId: '1234567890123456789',
      recipientId: '17841405793187218',
      contactIgsid: '1234567890123456789',
      replyTo: { story: { url: 'https://example.test/s', id: '17900000000000005' } },
    });
    expect(entry.events[1]).toMatchObject({ type: 'message', senderId: '42', contactIgsid: '42' });
  });

  it('refuses ids that JSON.parse has already rounded, rather than attributing them to someone else', () => {
    const parsed = instagram(JSON.parse(loadMetaWebhookFixture('numeric-ids').text));
    expect(parsed.entries).toEqual([]);
    expect(parsed.rejectedEntries[0]).toMatchObject({ reason: 'invalid_entry_id', detail: expect.stringContaining('2^53') });

    const body = {
      object: 'instagram',
      entry: [{ id: ACCOUNT, messaging: [{ sender: { id: 2 ** 60 }, recipient: { id: ACCOUNT }, timestamp: 1, message: { mid: 'm' } }] }],
    };
    expect(firstEntry(body).events[0]).toMatchObject({ type: 'unknown', reason: 'invalid_sender', senderId: null });
  });

  it('accepts timestamps sent as numeric strings and keeps them as milliseconds', () => {
    const entry = firstEntry(loadMetaWebhookFixture('string-timestamps').body);
    expect(entry.time).toBe(1569262486134);
    expect(entry.events[0]).toMatchObject({ type: 'message', timestamp: 1569262485349 });
  });

  it('reads a time below 10^11 as seconds, as a number or a string, and keeps milliseconds as they are', () => {
    const body = (timestamp: unknown, time: unknown) => ({
      object: 'instagram',
      entry: [{ id: ACCOUNT, time, messaging: [{ sender: { id: CUSTOMER }, recipient: { id: ACCOUNT }, timestamp, read: { mid: 'm' } }] }],
    });
    for (const [timestamp, time] of [[1569262485, '1569262486'], ['1569262485', 1569262486]]) {
      const entry = firstEntry(body(timestamp, time));
      expect(entry.time).toBe(1569262486000);
      expect(entry.events[0]).toMatchObject({ type: 'read', timestamp: 1569262485000 });
    }
    expect(firstEntry(body(1569262485349, 1569262486134)).events[0]).toMatchObject({ timestamp: 1569262485349 });
    expect(firstEntry(body('99999999999', 1)).events[0]).toMatchObject({ timestamp: 99999999999000 });
    expect(firstEntry(body(100000000000, 1)).events[0]).toMatchObject({ timestamp: 100000000000 });
  });

  it('rejects negative, fractional and non-numeric timestamps', () => {
    for (const timestamp of [-1, 1.5, '12a', '', null]) {
      const body = {
        object: 'instagram',
        entry: [{ id: ACCOUNT, messaging: [{ sender: { id: CUSTOMER }, recipient: { id: ACCOUNT }, timestamp, read: { mid: 'm' } }] }],
      };
      expect(firstEntry(body).events[0]).toMatchObject({ type: 'unknown', reason: 'invalid_timestamp' });
    }
  });
});

describe('changes-style items', () => {
  it('keeps the dashboard test sample verbatim instead of treating it as a direct message', () => {
    const entry = firstEntry(loadMetaWebhookFixture('dashboard-test-sample').body);
    expect(entry.id).toBe('0');
    expect(entry.events).toEqual([]);
    expect(entry.unhandled).toEqual([
      {
        field: 'messages',
        value: expect.objectContaining({ message: { mid: 'random_mid', text: 'random_text' } }),
        raw: expect.objectContaining({ field: 'messages' }),
        path: 'entry[0].changes[0]',
      },
    ]);
  });

  it('keeps comments and live comments with their field', () => {
    const entry = firstEntry(loadMetaWebhookFixture('comments').body);
    expect(entry.events).toEqual([]);
    expect(entry.unhandled.map((change) => change.field)).toEqual(['comments', 'live_comments']);
    expect(entry.unhandled[0]?.value).toMatchObject({ text: '@shop how much?', from: { username: 'customer.one' } });
  });

  it('keeps Facebook-Login mentions', () => {
    expect(firstEntry(loadMetaWebhookFixture('mentions-facebook-login').body).unhandled).toEqual([
      {
        field: 'mentions',
        value: { media_id: '17900000000000004', comment_id: '17865799348089041' },
        raw: expect.anything(),
        path: 'entry[0].changes[0]',
      },
    ]);
  });

  it('keeps a field and value placed directly on the entry, as in the Postman sample', () => {
    const entry = firstEntry(loadMetaWebhookFixture('entry-level-field-value').body);
    expect(entry.unhandled).toEqual([
      { field: 'comments', value: { id: '17865799348089042', text: 'postman sample' }, raw: expect.objectContaining({ id: ACCOUNT }), path: 'entry[0]' },
    ]);
  });

  it('keeps malformed change items with a null field', () => {
    const entry = firstEntry({ object: 'instagram', entry: [{ id: ACCOUNT, changes: ['junk', { value: 1 }] }] });
    expect(entry.unhandled).toEqual([
      { field: null, value: null, raw: 'junk', path: 'entry[0].changes[0]' },
      { field: null, value: 1, raw: { value: 1 }, path: 'entry[0].changes[1]' },
    ]);
  });
});

describe('fixtures', () => {
  it.each(listMetaWebhookFixtures())('%s verifies when signed and parses as an instagram webhook', (name) => {
    const { text, body } = loadMetaWebhookFixture(name);
    const raw = Buffer.from(text, 'utf8');
    expect(verifyMetaSignature(raw, signMetaBody(raw, 'app-secret'), ['app-secret'])).toEqual({ ok: true, secretIndex: 0 });
    const parsed = instagram(body);
    expect(parsed.entries.length).toBeGreaterThan(0);
  });
});
