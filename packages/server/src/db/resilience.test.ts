import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChaosProxy } from '../../test/chaos-proxy.ts';
import { createProxiedDatabase, type ProxiedDatabase } from '../../test/proxied-database.ts';
import { openDatabase, queryRows, sql, whileUnreachable, type Database } from './client.ts';
import { isConnectionError } from '../shared/db-errors.ts';

const adminUrl = process.env.TEST_DATABASE_URL;
const silent = pino({ level: 'silent' });

/**
 * The database going away and coming back, on PostgreSQL (through a proxy that can refuse, reset and stall the
 * connections): nothing crashes the process, statements fail with a connection error the callers recognise, and
 * the next statements work once the server answers again. PGlite runs in-process and cannot go away.
 */
describe.skipIf(!adminUrl)('the database connection survives the database going away (PostgreSQL)', () => {
  let proxied: ProxiedDatabase;
  let proxy: ChaosProxy;
  let database: Database;
  let url: string;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => void uncaught.push(error);

  beforeAll(async () => {
    proxied = await createProxiedDatabase(adminUrl ?? '', 'tl_resilience');
    proxy = proxied.proxy;
    url = proxied.url;
    database = await openDatabase({ kind: 'postgres', url, poolMax: 4 }, { log: silent });
    // an unheard 'error' on a client would surface here (and kill a real process)
    process.on('uncaughtException', onUncaught);
  });

  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    await database.close();
    await proxied.dispose();
  });

  it('a connection lent out for a transaction can be reset mid-transaction without crashing the process', async () => {
    const failed = database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      proxy.resetAll();
      await sleep(100);
      await tx.execute(sql`select 2`);
    });
    await expect(failed).rejects.toSatisfy(isConnectionError);
    // the pool drops the dead connection: the next statement works on a new one
    const [row] = await queryRows<{ n: number }>(database.db, sql`select 3 as n`);
    expect(row?.n).toBe(3);
    expect(uncaught).toEqual([]);
  });

  it('a statement while the server refuses connections fails as a connection error; waiting for it resumes', async () => {
    await proxy.refuse();
    proxy.resetAll();
    await expect(database.ping()).rejects.toSatisfy(isConnectionError);
    setTimeout(() => void proxy.accept(), 800);
    const waited = await whileUnreachable('test', () => database.ping(), silent);
    expect(waited).toBeUndefined();
    expect(uncaught).toEqual([]);
  });

  it('LISTEN is restored after its connection is reset, and says so', async () => {
    const payloads: string[] = [];
    let reconnects = 0;
    const unlisten = await database.listen(
      'tl_resilience_test',
      (p) => void payloads.push(p),
      () => void (reconnects += 1),
    );
    try {
      proxy.resetAll();
      const deadline = Date.now() + 10_000;
      while (reconnects === 0 && Date.now() < deadline) await sleep(50);
      expect(reconnects).toBe(1);
      await database.db.execute(sql`select pg_notify('tl_resilience_test', 'after')`);
      while (payloads.length === 0 && Date.now() < deadline) await sleep(50);
      expect(payloads).toEqual(['after']);
    } finally {
      await unlisten();
    }
    expect(uncaught).toEqual([]);
  });

  it('LISTEN started while the server is down connects once it is up', async () => {
    await proxy.refuse();
    proxy.resetAll();
    let reconnects = 0;
    const payloads: string[] = [];
    const unlisten = await database.listen('tl_resilience_late', (p) => void payloads.push(p), () => void (reconnects += 1));
    try {
      await proxy.accept();
      const deadline = Date.now() + 10_000;
      while (reconnects === 0 && Date.now() < deadline) await sleep(50);
      expect(reconnects).toBe(1);
      await database.db.execute(sql`select pg_notify('tl_resilience_late', 'hello')`);
      while (payloads.length === 0 && Date.now() < deadline) await sleep(50);
      expect(payloads).toEqual(['hello']);
    } finally {
      await unlisten();
    }
  });

  it('a stall holds statements back and lets them finish when it ends', async () => {
    const stall = proxy.stall(1_000);
    const [row] = await queryRows<{ n: number }>(database.db, sql`select 4 as n`);
    await stall;
    expect(row?.n).toBe(4);
  });
});
