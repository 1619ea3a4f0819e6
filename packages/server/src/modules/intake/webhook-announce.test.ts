import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import type { Database } from '../../db/client.ts';
import { createWebhookEventsRepository, WEBHOOK_CHANNEL } from './webhook-events.repository.ts';

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
      expect(heard[0]).toBe('');
      expect(Buffer.from((await repo.getBody(announced)) ?? []).toString('utf8')).toBe('{"object":"instagram","entry":[1]}');
    } finally {
      await unlisten();
    }
  });
});
