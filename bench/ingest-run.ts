// Drives one server (Threadline or the bare reference) through the ingestion benchmark's ladder of offered rates,
// from its start to its stop; Threadline's processing lag is read from its database once it has stopped.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuShare, cpuSnapshot, type CpuShare } from './lib/cpu.ts';
import { backlogAt, insertAccounts, openPg, openPgliteDir, processingLag, statusCounts, type Sql, type StepLag } from './lib/ingest-db.ts';
import { accountIgIds, planStep } from './lib/ingest-payloads.ts';
import { createLoadGenerator, type StepLoadResult } from './lib/load-generator.ts';
import { freePort, startServer, threadlineBaseEnv, type ServerProcess } from './lib/processes.ts';
import { createFirstAdmin, login, waitUntilDrained } from './lib/threadline-admin.ts';

export type Engine = { kind: 'pglite' } | { kind: 'postgres'; url: string };

export type BenchSettings = {
  rates: number[];
  stepSeconds: number;
  warmupSeconds: number;
  accounts: number;
  customersPerAccount: number;
  drainMaxSeconds: number;
  connections: number;
  maxInFlight: number;
  /** Extra environment for the Threadline process (experiments: WEBHOOK_PROCESS_CONCURRENCY, DATABASE_POOL_MAX, …). */
  threadlineEnv: Record<string, string>;
  log: (line: string) => void;
};

export type StepRow = {
  load: StepLoadResult;
  cpu: CpuShare;
  /** Threadline only: the drain observed live through the admin API, and the figures read afterwards. */
  drainedLive?: boolean;
  lag?: StepLag;
  backlogAtEnd?: number;
  drainMs?: number | null;
};

export type ServerRun = { label: string; steps: StepRow[]; notes: string[] };

const REPO = path.resolve(import.meta.dirname, '..');
const ADMIN = { username: 'bench', password: `bench-${randomBytes(12).toString('hex')}` };

async function ladder(
  server: ServerProcess,
  settings: BenchSettings,
  secret: string,
  tagPrefix: string,
  afterStep: (load: StepLoadResult) => Promise<Partial<StepRow>>,
): Promise<StepRow[]> {
  const origin = server.origin;
  const bad = await fetch(`${origin}/webhooks/instagram`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
    body: '{"object":"instagram","entry":[]}',
  });
  await bad.arrayBuffer();
  if (bad.status !== 401) throw new Error(`${server.label} answered ${bad.status}, not 401, to a wrongly signed POST`);

  const accounts = accountIgIds(settings.accounts);
  const gen = createLoadGenerator({ origin, path: '/webhooks/instagram', connections: settings.connections, maxInFlight: settings.maxInFlight, requestTimeoutMs: 30_000 });
  const common = { accounts, customersPerAccount: settings.customersPerAccount, secret };
  try {
    if (settings.warmupSeconds > 0) {
      const warm = await gen.run(planStep({ ...common, tag: `${tagPrefix}w`, rate: 200, seconds: settings.warmupSeconds, seed: 99 }));
      await afterStep(warm);
    }
    const rows: StepRow[] = [];
    for (const [i, rate] of settings.rates.entries()) {
      const plan = planStep({ ...common, tag: `${tagPrefix}${i}`, rate, seconds: settings.stepSeconds, seed: i + 1 });
      const before = cpuSnapshot(server.pid);
      const load = await gen.run(plan);
      const cpu = cpuShare(before, cpuSnapshot(server.pid));
      const extra = await afterStep(load);
      settings.log(
        `  ${server.label}: ${rate} ev/s offered, ${Math.round(load.ackRate)} ev/s acknowledged, ${load.shedPosts} shed, ` +
          `${Object.values(load.failures).reduce((a, b) => a + b, 0)} failed`,
      );
      rows.push({ load, cpu, ...extra });
      await sleep(500);
    }
    return rows;
  } finally {
    await gen.close();
  }
}

function threadlineEnv(engine: Engine, port: number, dataDir: string, secret: string, settings: BenchSettings): Record<string, string> {
  return {
    ...threadlineBaseEnv({ port, dataDir, appSecret: secret, ...(engine.kind === 'postgres' ? { databaseUrl: engine.url } : {}) }),
    ...settings.threadlineEnv,
  };
}

/** Threadline as `node packages/server/src/main.ts serve`, accounts routed, the ladder, then the analysis. */
export async function runThreadline(engine: Engine, settings: BenchSettings): Promise<ServerRun> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-bench-ingest-'));
  const secret = randomBytes(24).toString('base64url');
  const port = await freePort();
  const env = threadlineEnv(engine, port, dataDir, secret, settings);
  const start = () =>
    startServer({ label: 'threadline', script: path.join(REPO, 'packages/server/src/main.ts'), args: ['serve'], env, port, readyPath: '/readyz' });
  const notes: string[] = [];
  try {
    let server = await start();
    try {
      await createFirstAdmin(server.origin, ADMIN.username, ADMIN.password);
      if (engine.kind === 'postgres') {
        const sql = await openPg(engine.url);
        await insertAccounts(sql, accountIgIds(settings.accounts)).finally(() => sql.close());
      } else {
        // PGlite belongs to one process: stop Threadline, add the accounts to its directory, start it again.
        await server.stop();
        const sql = await openPgliteDir(path.join(dataDir, 'pglite'));
        await insertAccounts(sql, accountIgIds(settings.accounts)).finally(() => sql.close());
        server = await start();
      }
      const token = await login(server.origin, ADMIN.username, ADMIN.password);
      const steps = await ladder(server, settings, secret, 's', async () => {
        const waited = await waitUntilDrained(server.origin, token, settings.drainMaxSeconds * 1000);
        if (waited === null) notes.push(`a step did not drain within ${settings.drainMaxSeconds} s; later steps started with a backlog`);
        return { drainedLive: waited !== null };
      });
      await server.stop();
      const sql: Sql = engine.kind === 'postgres' ? await openPg(engine.url) : await openPgliteDir(path.join(dataDir, 'pglite'));
      try {
        const lags = await processingLag(sql);
        for (const [i, step] of steps.entries()) {
          const lag = lags.get(`s${i}`);
          step.lag = lag;
          step.backlogAtEnd = await backlogAt(sql, step.load.sendEndedAt);
          step.drainMs = lag?.last_processed_ms != null ? Math.max(0, lag.last_processed_ms - step.load.sendEndedAt) : null;
        }
        notes.push(`webhook_events by status: ${await statusCounts(sql)}`);
      } finally {
        await sql.close();
      }
      return { label: 'Threadline', steps, notes };
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The bare node:http + one INSERT reference (bench/ingest-reference-server.ts), same engine, same load. */
export async function runReference(engine: Engine, settings: BenchSettings): Promise<ServerRun> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-bench-reference-'));
  const secret = randomBytes(24).toString('base64url');
  const port = await freePort();
  try {
    const server = await startServer({
      label: 'reference',
      script: path.join(REPO, 'bench/ingest-reference-server.ts'),
      env: {
        REF_PORT: String(port),
        REF_SECRET: secret,
        ...(engine.kind === 'postgres' ? { REF_DATABASE_URL: engine.url } : { REF_DATA_DIR: dataDir }),
      },
      port,
      readyPath: '/ready',
    });
    try {
      const steps = await ladder(server, settings, secret, 'r', async () => ({}));
      return { label: 'reference', steps, notes: [] };
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
