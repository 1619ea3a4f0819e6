import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { openDatabase, type Database } from '../db/client.ts';
import { pendingMigrations } from '../db/migrate.ts';
import { requestSnapshot } from '../db/pglite-snapshot.ts';
import {
  accountFindings,
  clockFindings,
  configurationFindings,
  crmFindings,
  databaseFindings,
  reachabilityFindings,
  type Finding,
} from '../modules/operations/doctor.ts';
import { probeHost } from '../modules/operations/host-probe.ts';
import { VERSION } from '../shared/version.ts';
import type { Command, CommandContext } from './command.ts';
import { redactDatabaseUrl } from './database-summary.ts';

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

export function formatFindings(findings: Finding[]): string {
  const lines = findings.map((f) => `  ${MARK[f.status]}  ${f.area.padEnd(22)} ${f.message}${f.fix ? `\n        ${''.padEnd(22)} fix: ${f.fix}` : ''}`);
  const fails = findings.filter((f) => f.status === 'fail').length;
  const warns = findings.filter((f) => f.status === 'warn').length;
  lines.push('', fails + warns === 0 ? 'Everything looks right.' : `${fails} to fix, ${warns} to look at.`);
  return lines.join('\n');
}

/** The database to inspect, without changing it: a running embedded server's snapshot, or the database itself. */
async function inspectDatabase(config: CommandContext['config']): Promise<{ database: Database | null; findings: Finding[]; note?: string }> {
  try {
    if (config.database.kind === 'postgres') return { database: await openDatabase({ kind: 'postgres', url: config.database.url, poolMax: 2 }), findings: [] };
    if (!fs.existsSync(path.join(config.database.dataDir, 'PG_VERSION'))) {
      return { database: null, findings: [{ area: 'database', status: 'warn', message: `no embedded database in ${config.database.dataDir} yet`, fix: 'start Threadline once (it creates it), or check DATA_DIR' }] };
    }
    const snapshot = await requestSnapshot(config.database.dataDir);
    if (snapshot) {
      const database = await openDatabase({ kind: 'pglite', dataDir: null, loadDataDir: new Blob([new Uint8Array(snapshot)]) });
      return { database, findings: [], note: 'a snapshot of the running server\'s embedded database' };
    }
    return { database: await openDatabase({ kind: 'pglite', dataDir: config.database.dataDir }), findings: [] };
  } catch (error) {
    const where = config.database.kind === 'postgres' ? redactDatabaseUrl(config.database.url) : config.database.dataDir;
    const message = error instanceof Error ? error.message : String(error);
    return { database: null, findings: [{ area: 'database', status: 'fail', message: `${where}: ${message}`, fix: 'start PostgreSQL or fix DATABASE_URL (host, port, user, password, database name)' }] };
  }
}

export const doctorCommand: Command = {
  summary: 'Check configuration, database, Meta\'s hosts, each account, each CRM endpoint and the clock; print what to fix',
  usage: 'Options: --offline (skip every call to Meta). Exits 1 when something must be fixed. Changes nothing.',
  options: { offline: { type: 'boolean' } },
  async run({ config, values, buildApp }) {
    const findings: Finding[] = [...configurationFindings(config)];
    const online = values.offline !== true;
    const inspected = await inspectDatabase(config);
    findings.push(...inspected.findings);
    const hosts = [...new Set([config.instagram.graphUrl, config.instagram.apiUrl, config.instagram.authorizeUrl, config.facebook.graphUrl].map((u) => new URL(u).origin))];
    const probes = online ? await Promise.all(hosts.map((h) => probeHost(h))) : [];
    findings.push(...reachabilityFindings(probes));
    let databaseNow: Date | null = null;
    const database = inspected.database;
    if (database) {
      try {
        const pending = await pendingMigrations(database);
        findings.push(...databaseFindings({ engine: database.kind, pendingMigrations: pending, ...(inspected.note ? { note: inspected.note } : {}) }));
        if (pending.length === 0) {
          const t = await buildApp({ ...config, workersEnabled: false, warnings: [] }, { database, logger: pino({ level: 'silent' }) });
          try {
            const ops = t.services.operations;
            const appIds = { instagram_login: config.instagram.clientId, facebook_login: config.facebook.oauth?.appId };
            if (online) findings.push(...(await accountFindings({ repo: ops, tokens: t.services.accountTokens, graphs: t.services.accountGraphs, appIds })));
            findings.push(...(await crmFindings(ops)));
            databaseNow = await ops.databaseNow();
          } finally {
            await t.close();
          }
        }
      } finally {
        await database.close();
      }
    }
    const graphOrigin = new URL(config.instagram.graphUrl).origin;
    findings.push(...clockFindings({ now: new Date(), database: config.database.kind === 'postgres' ? databaseNow : null, meta: probes.find((p) => p.url === graphOrigin)?.date ?? null }));
    console.log(`threadline ${VERSION} doctor\n\n${formatFindings(findings)}`);
    return findings.some((f) => f.status === 'fail') ? 1 : 0;
  },
};
