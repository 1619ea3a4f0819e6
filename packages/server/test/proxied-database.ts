import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startChaosProxy, type ChaosProxy } from './chaos-proxy.ts';

/** A brand-new PostgreSQL database reached through a proxy that can refuse, reset and stall its connections. */
export type ProxiedDatabase = {
  /** The database's URL through the proxy. */
  url: string;
  proxy: ChaosProxy;
  /** Closes the proxy and drops the database (close what uses it first). */
  dispose(): Promise<void>;
};

async function admin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * The set-up the outage tests share (db/resilience.test.ts, modules/intake/webhook-outage.test.ts): a database
 * named `<prefix>_<random>` on the TEST_DATABASE_URL server, and a chaos proxy in front of that server.
 */
export async function createProxiedDatabase(adminUrl: string, prefix: string): Promise<ProxiedDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, `create database ${name}`);
  const target = new URL(adminUrl);
  const proxy = await startChaosProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const viaProxy = new URL(adminUrl);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  viaProxy.pathname = `/${name}`;
  return {
    url: viaProxy.toString(),
    proxy,
    async dispose() {
      await proxy.close();
      await admin(adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
}
