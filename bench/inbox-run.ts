// One engine's run of the inbox benchmark, start to stop: a migrated database, the seeded inbox, the query plans,
// Threadline (`main.ts serve`, a separate process) measured over HTTP, the send test through the simulator, and
// the queued → sent latencies read back from the database once the server has stopped.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { hashPassword } from '../packages/server/src/shared/crypto/password.ts';
import { createTokenVault } from '../packages/server/src/shared/crypto/token-vault.ts';
import { openInboxDbPg, openInboxDbPglite, type InboxDb } from './lib/inbox-db.ts';
import { measureRead, signIn, type ReadMeasurement } from './lib/inbox-http.ts';
import { runLiveUpdates, type LiveResult, type LiveSettings } from './lib/inbox-live.ts';
import { chooseReadParams, explainCase, readCases, type PlanResult, type ReadCase, type ReadParams } from './lib/inbox-reads.ts';
import { seedInbox, type SeedResult, type SeedSizes } from './lib/inbox-seed.ts';
import { runSendTest, sendLatency, startSimulator, type SendLatency, type SendRun, type SendSettings } from './lib/inbox-send.ts';
import { freePort, startServer } from './lib/processes.ts';

export type Engine = { kind: 'pglite' } | { kind: 'postgres'; url: string };
export type InboxSettings = {
  sizes: SeedSizes;
  warmup: number;
  samples: number;
  deepFraction: number;
  send: Omit<SendSettings, 'log'> | null;
  live: LiveSettings | null;
  /** Extra settings for the Threadline process (BENCH_THREADLINE_ENV). */
  threadlineEnv: Record<string, string>;
  log: (line: string) => void;
};
export type EngineResult = {
  seed: SeedResult;
  params: ReadParams;
  cases: ReadCase[];
  plans: Map<string, PlanResult>;
  reads: ReadMeasurement[];
  send: { run: SendRun; latency: SendLatency } | null;
  sendNote: string;
  live: LiveResult | null;
  liveNote: string;
};

const REPO = path.resolve(import.meta.dirname, '..');
const MAIN = path.join(REPO, 'packages/server/src/main.ts');
const run = promisify(execFile);

/** Whether GET /api/v1/ui/events streams events (the SSE route of issue 7): null when it does, else why not. */
async function probeLiveUpdates(origin: string, token: string): Promise<string | null> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 3_000);
  try {
    const res = await fetch(`${origin}/api/v1/ui/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    const type = res.headers.get('content-type') ?? '';
    controller.abort();
    return res.status === 200 && type.startsWith('text/event-stream')
      ? null
      : `not measured: GET /api/v1/ui/events answered ${res.status} (the SSE route is not in this build)`;
  } catch (error) {
    return `not measured: GET /api/v1/ui/events failed (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    clearTimeout(timer);
  }
}

export async function runEngine(engine: Engine, settings: InboxSettings): Promise<EngineResult> {
  const { log } = settings;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-bench-inbox-'));
  const appSecret = randomBytes(24).toString('base64url');
  const verifyToken = randomBytes(12).toString('hex');
  const sessionSecret = randomBytes(36).toString('base64url');
  const reader = { username: 'bench_reader', password: `bench-${randomBytes(12).toString('hex')}` };
  const sender = { username: 'bench_sender', password: `bench-${randomBytes(12).toString('hex')}` };
  const world = await startSimulator(appSecret);
  const port = await freePort();
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    SESSION_SECRET: sessionSecret,
    INSTAGRAM_OAUTH_CLIENT_SECRET: appSecret,
    INSTAGRAM_VERIFY_TOKEN: verifyToken,
    INSTAGRAM_GRAPH_URL: world.url,
    INSTAGRAM_API_URL: world.url,
    INSTAGRAM_AUTHORIZE_URL: `${world.url}/oauth/authorize`,
    MEDIA_MIRROR_ENABLED: 'false',
    // one reader asks hundreds of searches a minute here; the per-user limit (60 a minute) is not what is measured
    SEARCH_RATE_PER_MINUTE: '100000',
    // the live-update clients stand for a whole team but sign in as one reader: the per-session and per-user stream
    // caps (5 and 20, issue 20) would close all but the newest few, which is not what is measured
    REALTIME_MAX_STREAMS_PER_SESSION: String(Math.max(5, settings.live?.clients ?? 0)),
    REALTIME_MAX_STREAMS_PER_USER: String(Math.max(20, settings.live?.clients ?? 0)),
    DATA_DIR: dataDir,
    ...(engine.kind === 'postgres' ? { DATABASE_URL: engine.url } : {}),
    ...settings.threadlineEnv,
  };
  const open = (): Promise<InboxDb> => (engine.kind === 'postgres' ? openInboxDbPg(engine.url) : openInboxDbPglite(path.join(dataDir, 'pglite')));
  try {
    log(`${engine.kind}: migrating`);
    await run(process.execPath, [MAIN, 'migrate'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 120_000 });

    const vault = createTokenVault({ sessionSecret });
    let seed: SeedResult;
    let params: ReadParams;
    let cases: ReadCase[];
    const plans = new Map<string, PlanResult>();
    let liveTarget: { igUserId: string; customers: string[] } = { igUserId: '', customers: [] };
    const db = await open();
    try {
      log(`${engine.kind}: seeding ${settings.sizes.conversations} conversations, ${settings.sizes.messages} messages, ${settings.sizes.accounts} accounts`);
      seed = await seedInbox(db, settings.sizes, {
        reader: { username: reader.username, passwordHash: await hashPassword(reader.password) },
        sender: { username: sender.username, passwordHash: await hashPassword(sender.password) },
        simAccount: { igUserId: world.igId, username: world.username, accessTokenEncrypted: vault.encrypt(world.token) },
      });
      log(`${engine.kind}: seeded in ${Object.values(seed.seconds).reduce((a, b) => a + b, 0).toFixed(0)} s; explaining`);
      params = await chooseReadParams(db, seed.readerAccountId, settings.deepFraction);
      cases = readCases(params);
      for (const c of cases) plans.set(c.key, await explainCase(db, c));
      const [account] = await db.query(`select ig_user_id from accounts where id = $1`, [seed.readerAccountId]);
      const customers = await db.query(`select igsid from contacts where account_id = $1 order by igsid limit 200`, [seed.readerAccountId]);
      liveTarget = { igUserId: String(account?.ig_user_id), customers: customers.map((r) => String(r.igsid)) };
    } finally {
      await db.close();
    }

    const server = await startServer({ label: 'threadline', script: MAIN, args: ['serve'], env, port, readyPath: '/readyz', readyTimeoutMs: 120_000 });
    const reads: ReadMeasurement[] = [];
    let sendRun: SendRun | null = null;
    let sendNote = settings.send ? '' : 'not measured (BENCH_SEND_MESSAGES=0)';
    let live: LiveResult | null = null;
    let liveNote = 'not measured (BENCH_LIVE_CLIENTS=0)';
    try {
      const readerToken = await signIn(server.origin, reader.username, reader.password);
      for (const c of cases) {
        log(`${engine.kind}: ${c.key}`);
        reads.push(await measureRead(server.origin, readerToken, c, settings.warmup, settings.samples));
      }
      if (settings.send) {
        // Before the live-update test, whose backlog of webhook events would delay these customers' messages.
        const senderToken = await signIn(server.origin, sender.username, sender.password);
        try {
          sendRun = await runSendTest(server.origin, world, verifyToken, senderToken, { ...settings.send, log });
        } catch (error) {
          sendNote = `send test failed: ${error instanceof Error ? error.message : String(error)}`;
        }
      }
      if (settings.live) {
        const missing = await probeLiveUpdates(server.origin, readerToken);
        if (missing) liveNote = missing;
        else {
          log(`${engine.kind}: live updates, ${settings.live.clients} SSE clients, ${settings.live.rate} events/s for ${settings.live.seconds} s`);
          live = await runLiveUpdates({ origin: server.origin, serverPid: server.pid, token: readerToken, appSecret, ...liveTarget, settings: settings.live });
          liveNote = '';
        }
      }
    } catch (error) {
      log(`threadline output:\n${server.recentOutput()}`);
      throw error;
    } finally {
      await server.stop();
    }

    let send: EngineResult['send'] = null;
    if (sendRun) {
      const after = await open();
      try {
        send = { run: sendRun, latency: await sendLatency(after, sendRun.ids) };
      } finally {
        await after.close();
      }
    }
    return { seed, params, cases, plans, reads, send, sendNote, live, liveNote };
  } finally {
    await world.sim.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
