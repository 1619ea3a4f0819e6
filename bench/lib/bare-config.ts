// The settings of the bare references, each its own process started by a bench: the CRM forwarder
// (bench/crm-forwarder.ts, by bench/crm.ts) and the ingestion reference server (bench/ingest-reference-server.ts, by
// bench/ingest.ts). Read from the environment once, here; what each means: the header of each script.
import type { StoreKind } from './bare-store.ts';

export function readForwarderConfig(env: NodeJS.ProcessEnv = process.env) {
  const port = Number(env.FWD_PORT ?? '0');
  const secret = env.FWD_SECRET ?? '';
  const crmUrl = env.FWD_CRM_URL ?? '';
  if (!port || !secret || !crmUrl) throw new Error('FWD_PORT, FWD_SECRET and FWD_CRM_URL are required');
  const kind = env.FWD_STORE ?? 'insert';
  if (kind !== 'insert' && kind !== 'sequenced') throw new Error('FWD_STORE is insert or sequenced');
  return { port, secret, crmUrl, databaseUrl: env.FWD_DATABASE_URL || null, storeKind: kind as StoreKind };
}

export function readReferenceServerConfig(env: NodeJS.ProcessEnv = process.env) {
  const port = Number(env.REF_PORT ?? '0');
  const secret = env.REF_SECRET ?? '';
  if (!port || !secret) throw new Error('REF_PORT and REF_SECRET are required');
  if (!env.REF_DATABASE_URL && !env.REF_DATA_DIR) throw new Error('REF_DATABASE_URL or REF_DATA_DIR is required');
  return { port, secret, databaseUrl: env.REF_DATABASE_URL, dataDir: env.REF_DATA_DIR, poolMax: Number(env.REF_POOL_MAX ?? '10') };
}
