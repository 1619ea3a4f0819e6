import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import type { Database } from '../../db/client.ts';
import { announcedIds, createWebhookEventsRepository, WEBHOOK_CHANNEL } from './webhook-events.repository.ts';

describe('raw events stored by a process without workers', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.close());

  it('are announced to worker processes by the statement that stores them', async () => {
    const repo = createWebhookEventsRepository(database.db);
    const heard: string[] = [];
    let resolveHeard: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (resolveHeard = resolve));
    const unlisten = await database.listen(WEBHOOK_CHANNEL, (payload) => {
      heard.push(payload);
      resolveHeard();
    });
    try {
      const announced = await repo.insertRaw(Buffer.from('{"object":"instagram","entry":[1]}'), 1, { announce: true });
      await first;
      // the ids it stored, for the workers to claim by id
      expect(announcedIds(heard[0] ?? '')).toEqual([announced]);
      expect(Buffer.from((await repo.getBody(announced)) ?? []).toString('utf8')).toBe('{"object":"instagram","entry":[1]}');
    } finally {
      await unlisten();
    }
  });
});

describe('announcedIds', () => {
  it('reads the ids a notification names, and none from an empty or unreadable payload', () => {
    expect(announcedIds('12,13,14')).toEqual([12, 13, 14]);
    expect(announcedIds('')).toEqual([]);
    expect(announcedIds('12,x')).toEqual([]);
    expect(announcedIds('-1')).toEqual([]);
  });
});
