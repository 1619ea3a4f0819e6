// The fault suite (`npm run test:faults`): Threadline as its own processes under signed webhook traffic at 150
// events/s, with a CRM receiver, while processes are killed with -9, the database goes away (connections refused,
// reset, dropped, stalled, backends terminated), and the CRM is down, slow or gone. Every scenario prints a row of
// figures and fails on any loss, any duplicate in the inbox or any second event for one message at the CRM, any
// process that died by itself, any 200 for an event that was not stored, or message text in the logs.
// FAULTS_LONG=1 runs every fault longer (75 s of traffic, a 20 s database outage). Needs PostgreSQL
// (FAULTS_PG_URL, else TEST_DATABASE_URL, else postgres://root@127.0.0.1:5432/postgres).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBenchDatabase, openPg, openPgliteDir, type Sql } from '../bench/lib/ingest-db.ts';
import { startChaosProxy, type ChaosProxy } from '../packages/server/test/chaos-proxy.ts';
import { createCluster, logLinesContaining, type Cluster, type Role } from './lib/cluster.ts';
import { inboxFrom, runScenario, TABLE_HEADER, type ScenarioResult } from './lib/scenario.ts';
import { createMetaSender, startCrmReceiver, TEXT_PREFIX, type CrmReceiver, type MetaSender } from './lib/traffic.ts';
import { setUpAccount } from './lib/setup.ts';

const LONG = process.env.FAULTS_LONG === '1';
const RATE = 150;
const SECONDS = LONG ? 75 : 15;
const DB_DOWN_MS = LONG ? 20_000 : 5_000;
const CRM_DOWN_MS = 20_000;
const PG_ADMIN_URL = process.env.FAULTS_PG_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const IG_ACCOUNT = '17841400000000917';
const APP_SECRET = randomBytes(24).toString('base64url');

function expectClean(r: ScenarioResult) {
  expect(r.died, 'processes that died by themselves').toBe(0);
  expect(r.lost, 'acknowledged events missing from the inbox or the CRM').toBe(0);
  expect(r.duplicatedInInbox, 'messages stored twice').toBe(0);
  expect(r.duplicatedAtCrm, 'messages that reached the CRM as two events').toBe(0);
  expect(r.logLeaks, 'log lines carrying message text').toEqual([]);
  expect(r.acknowledged).toBeGreaterThan(0);
}

function baseEnv(dataDir: string, databaseUrl?: string): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    LOG_PRETTY: 'false',
    SESSION_SECRET: randomBytes(36).toString('base64url'),
    INSTAGRAM_OAUTH_CLIENT_SECRET: APP_SECRET,
    // nothing may leave the machine: the Graph API is a closed local port
    INSTAGRAM_API_URL: 'http://127.0.0.1:9',
    INSTAGRAM_GRAPH_URL: 'http://127.0.0.1:9',
    DATA_DIR: dataDir,
    CRM_ALLOWED_NETWORKS: '127.0.0.1/32',
    CRM_ALLOW_HTTP: 'true',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
}

/** A topology on PostgreSQL behind the chaos proxy, with its own database, processes, Meta and CRM. */
function postgresTopology(label: string, roles: Role[]) {
  const state: { db?: Awaited<ReturnType<typeof createBenchDatabase>>; sql?: Sql; proxy?: ChaosProxy; cluster?: Cluster; crm?: CrmReceiver; meta?: MetaSender; dataDir?: string; admin?: { token: string; accountId: string; origin: string } } = {};

  beforeAll(async () => {
    state.db = await createBenchDatabase(PG_ADMIN_URL);
    state.sql = await openPg(state.db.url);
    const target = new URL(state.db.url);
    state.proxy = await startChaosProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(state.db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(state.proxy.port);
    state.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-faults-'));
    state.crm = await startCrmReceiver();
    state.cluster = await createCluster({ roles, env: baseEnv(state.dataDir, viaProxy.toString()), logDir: path.join(state.dataDir, 'logs') });
    for (const m of state.cluster.members) await state.cluster.start(m);
    const cluster = state.cluster;
    state.admin = await setUpAccount({ origin: cluster.httpOrigins()[0] ?? '', sql: state.sql, igAccount: IG_ACCOUNT, crmUrl: state.crm.url });
    state.meta = createMetaSender({ origins: () => cluster.httpOrigins(), appSecret: APP_SECRET, igAccount: IG_ACCOUNT });
    console.log(`\n### ${label}: ${roles.join(' + ')} on PostgreSQL (through the chaos proxy), ${RATE} events/s\n\n${TABLE_HEADER}`);
  }, 180_000);

  afterAll(async () => {
    await state.meta?.close();
    await state.cluster?.stop();
    await state.crm?.close();
    await state.proxy?.close();
    await state.sql?.close();
    await state.db?.drop();
    if (state.dataDir && !process.env.FAULTS_KEEP_LOGS) fs.rmSync(state.dataDir, { recursive: true, force: true });
  }, 120_000);

  const ctx = () => {
    const { meta, crm, cluster, sql } = state;
    if (!meta || !crm || !cluster || !sql) throw new Error('the topology did not start');
    return { meta, crm, cluster, inbox: (tag: string) => inboxFrom(sql, tag) };
  };
  /** Ends every connection of Threadline's to the database, as a restart does (ours for checking stays). */
  const terminateBackends = async () => {
    const { sql, db } = state;
    if (!sql || !db) return 0;
    const rows = (await sql.query(`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [db.name])) as { n: number }[];
    return rows[0]?.n ?? 0;
  };
  return { state, ctx, terminateBackends };
}

for (const [label, roles] of [
  ['one process', ['serve']],
  ['split', ['api', 'worker', 'worker']],
] as [string, Role[]][]) {
  describe(`faults, ${label}`, { timeout: 600_000 }, () => {
    const t = postgresTopology(label, roles);
    const proxy = () => {
      if (!t.state.proxy) throw new Error('no proxy');
      return t.state.proxy;
    };
    const cluster = () => {
      if (!t.state.cluster) throw new Error('no cluster');
      return t.state.cluster;
    };

    it('the database restarts: connections reset and refused, then back', async () => {
      const r = await runScenario(t.ctx(), `database restart (${DB_DOWN_MS / 1000} s down)`, {
        rate: RATE,
        seconds: SECONDS,
        fault: {
          atMs: (SECONDS * 1000) / 3,
          async inject() {
            await proxy().refuse();
            proxy().resetAll();
            await t.terminateBackends();
            await sleep(DB_DOWN_MS);
            await proxy().accept();
            return performance.now();
          },
        },
      });
      expectClean(r);
    });

    it('connections are cut, reset, stalled and terminated while the database stays up', async () => {
      const r = await runScenario(t.ctx(), 'connection chaos (resets, drops, a 2 s stall, pg_terminate_backend)', {
        rate: RATE,
        seconds: SECONDS,
        fault: {
          atMs: (SECONDS * 1000) / 4,
          async inject() {
            for (let i = 0; i < 6; i += 1) {
              proxy().resetSome(0.5);
              await sleep(300);
            }
            proxy().dropAll();
            await sleep(500);
            await proxy().stall(2_000);
            await t.terminateBackends();
            await sleep(300);
            proxy().resetSome(0.5);
            return performance.now();
          },
        },
      });
      expectClean(r);
    });

    it('a duplicate storm: every event POSTed five times at once for a third of the run', async () => {
      let copies = 1;
      const r = await runScenario(t.ctx(), 'duplicate storm (5 copies of each event)', {
        rate: RATE,
        seconds: SECONDS,
        storm: () => copies,
        fault: {
          atMs: (SECONDS * 1000) / 3,
          async inject() {
            copies = 5;
            await sleep((SECONDS * 1000) / 3);
            copies = 1;
            return performance.now();
          },
        },
      });
      expectClean(r);
    });

    for (const role of [...new Set(roles)]) {
      it(`kill -9 of ${role === 'serve' ? 'the server' : role === 'api' ? 'the API process' : 'a worker'}, restarted at once`, async () => {
        const victim = cluster().members.find((m) => m.role === role);
        if (!victim) throw new Error(`no ${role}`);
        const r = await runScenario(t.ctx(), `kill -9 of ${victim.name}, restarted`, {
          rate: RATE,
          seconds: SECONDS,
          fault: {
            atMs: (SECONDS * 1000) / 3,
            async inject() {
              await cluster().kill(victim);
              await cluster().start(victim);
              return performance.now();
            },
          },
        });
        expectClean(r);
      });
    }

    if (roles.length === 1) {
      it('a process started while the database is down waits for it, then serves', async () => {
        const [serve] = cluster().members;
        if (!serve) throw new Error('no server');
        const r = await runScenario(t.ctx(), 'kill -9, restarted while the database is down (3 s)', {
          rate: RATE,
          seconds: SECONDS,
          fault: {
            atMs: (SECONDS * 1000) / 3,
            async inject() {
              await cluster().kill(serve);
              await proxy().refuse();
              proxy().resetAll();
              await t.terminateBackends();
              const started = cluster().start(serve);
              await sleep(3_000);
              await proxy().accept();
              await started;
              return performance.now();
            },
          },
        });
        expectClean(r);
      });
    }

    if (roles.length > 1) {
      it('kill -9 of every process at once, all restarted', async () => {
        const r = await runScenario(t.ctx(), 'kill -9 of every process, restarted', {
          rate: RATE,
          seconds: SECONDS,
          fault: {
            atMs: (SECONDS * 1000) / 3,
            async inject() {
              await Promise.all(cluster().members.map((m) => cluster().kill(m)));
              await Promise.all(cluster().members.map((m) => cluster().start(m)));
              return performance.now();
            },
          },
        });
        expectClean(r);
      });
    }

    it(`the CRM is down for ${CRM_DOWN_MS / 1000} s (503), then back`, async () => {
      const crm = t.state.crm;
      if (!crm) throw new Error('no CRM');
      const r = await runScenario(t.ctx(), `CRM down ${CRM_DOWN_MS / 1000} s (503)`, {
        rate: RATE,
        seconds: Math.max(SECONDS, CRM_DOWN_MS / 1000 + 8),
        fault: {
          atMs: 3_000,
          async inject() {
            crm.setMode('down');
            await sleep(CRM_DOWN_MS);
            crm.setMode('ok');
            return performance.now();
          },
        },
      });
      expectClean(r);
    });

    it('the CRM answers slowly (10 s), then 410 Gone (the endpoint is disabled), then is re-enabled', async () => {
      const { crm, admin } = t.state;
      if (!crm || !admin) throw new Error('no CRM');
      const r = await runScenario(t.ctx(), 'CRM slow (10 s answers), then 410, re-enabled', {
        rate: RATE,
        seconds: SECONDS,
        fault: {
          atMs: 3_000,
          async inject() {
            crm.setMode('slow', 10_000);
            await sleep(5_000);
            crm.setMode('gone');
            await sleep(3_000);
            crm.setMode('ok');
            // an administrator sets the URL again: the endpoint is enabled and what waited goes out
            const res = await fetch(`${admin.origin}/api/v1/accounts/${admin.accountId}`, {
              method: 'PATCH',
              headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ crm_webhook_url: crm.url }),
            });
            if (!res.ok) throw new Error(`re-enabling the endpoint answered ${res.status}`);
            return performance.now();
          },
        },
      });
      expectClean(r);
    });
  });
}

describe('faults, embedded PGlite', { timeout: 600_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-faults-pglite-'));
  let cluster: Cluster;
  let crm: CrmReceiver;
  let meta: MetaSender;
  let admin: { token: string; accountId: string; origin: string };

  beforeAll(async () => {
    crm = await startCrmReceiver();
    cluster = await createCluster({ roles: ['serve'], env: baseEnv(dataDir), logDir: path.join(dataDir, 'logs') });
    const [serve] = cluster.members;
    if (!serve) throw new Error('no server');
    await cluster.start(serve);
    // PGlite belongs to one process: the account is added through a short stop
    admin = await setUpAccount({
      origin: serve.origin,
      igAccount: IG_ACCOUNT,
      crmUrl: crm.url,
      addAccountRow: async (insert) => {
        await cluster.stop();
        const sql = await openPgliteDir(path.join(dataDir, 'pglite'));
        await insert(sql).finally(() => sql.close());
        await cluster.start(serve);
      },
    });
    meta = createMetaSender({ origins: () => cluster.httpOrigins(), appSecret: APP_SECRET, igAccount: IG_ACCOUNT });
    console.log(`\n### embedded PGlite: one serve, ${RATE} events/s\n\n${TABLE_HEADER}`);
  }, 180_000);

  afterAll(async () => {
    await meta?.close();
    await cluster?.stop();
    await crm?.close();
    if (!process.env.FAULTS_KEEP_LOGS) fs.rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('kill -9 during a burst loses no acknowledged event, and the data directory opens cleanly', async () => {
    const [serve] = cluster.members;
    if (!serve) throw new Error('no server');
    const r = await runScenario(
      {
        meta,
        crm,
        cluster,
        // the directory belongs to the server: stop it, read it, start it again (it must open cleanly)
        inbox: async (tag) => {
          await cluster.stop();
          const sql = await openPgliteDir(path.join(dataDir, 'pglite'));
          try {
            return await inboxFrom(sql, tag);
          } finally {
            await sql.close();
            await cluster.start(serve);
          }
        },
      },
      'kill -9 of the server during a burst, restarted',
      {
        rate: RATE,
        seconds: SECONDS,
        fault: {
          atMs: (SECONDS * 1000) / 2,
          async inject() {
            await cluster.kill(serve);
            await cluster.start(serve);
            return performance.now();
          },
        },
      },
    );
    expectClean(r);
    expect(logLinesContaining(cluster, TEXT_PREFIX)).toEqual([]);
    void admin;
  });
});
