import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/db.ts';
import { sql, type Database } from '../db/client.ts';
import { webhookEvents } from '../db/schema/index.ts';
import { describeDbError, isConnectionError, safeErrorMessage } from './db-errors.ts';
import { logSerializers } from './logger.ts';

const SECRET_TEXT = 'my card number is 4111 1111 1111 1111';

describe('database errors in logs and stored errors', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  /**
   * A real failed statement whose parameters hold a customer's text (Drizzle puts them in its message, PostgreSQL
   * quotes the key in its detail): a second webhook event with the id of the first.
   */
  async function failedInsert(): Promise<unknown> {
    const [first] = await database.db.insert(webhookEvents).values({ body: Buffer.from('first') }).returning({ id: webhookEvents.id });
    try {
      await database.db.execute(sql`insert into webhook_events (id, body) overriding system value values (${first?.id ?? 0}, ${Buffer.from(SECRET_TEXT)})`);
    } catch (error) {
      return error;
    }
    throw new Error('the insert did not fail');
  }

  it("never quote a statement's parameters, in a log line or a stored error", async () => {
    const error = await failedInsert();
    // the raw error does carry the text
    expect(error instanceof Error ? error.message : '').toContain('4111');
    const lines: string[] = [];
    const log = pino({ serializers: logSerializers }, new Writable({ write: (c, _e, cb) => void (lines.push(String(c)), cb()) }));
    log.error({ err: error }, 'insert failed');
    log.error({ err: new Error('wrapped', { cause: error }) }, 'wrapped failure');
    const logged = lines.join('\n');
    expect(logged).not.toContain('4111');
    expect(logged).not.toMatch(/params:/);
    // what it does say: the code and the statement
    expect(logged).toContain('23505');
    expect(logged).toContain('insert into');
    expect(safeErrorMessage(error)).not.toContain('4111');
    expect(describeDbError(error).code).toBe('23505');
  });

  it('withhold messages that may quote the input (data exceptions)', async () => {
    let error: unknown;
    try {
      await database.db.execute(sql`select ${SECRET_TEXT}::uuid`);
    } catch (e) {
      error = e;
    }
    expect(describeDbError(error).code).toBe('22P02');
    expect(JSON.stringify(describeDbError(error))).not.toContain('4111');
    expect(safeErrorMessage(error)).not.toContain('4111');
  });

  it('tell a lost or refused connection from a statement the database refused', async () => {
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isConnectionError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isConnectionError(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: '08006' }) }))).toBe(true);
    expect(isConnectionError(await failedInsert())).toBe(false);
    expect(isConnectionError(new Error('something else'))).toBe(false);
  });
});
