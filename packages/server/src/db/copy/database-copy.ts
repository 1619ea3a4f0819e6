import type { Database } from '../client.ts';
import { runMigrations } from '../migrate.ts';
import { createCopyRepository, tableName, type CopyRepository, type TableRef } from './copy.repository.ts';

/**
 * Copies every row of one Threadline database into an empty one (the embedded database into PostgreSQL), in one
 * consistent snapshot of the source (a read-only repeatable-read transaction) and one transaction on the target:
 * the copy lands whole or not at all. The target's tables are made by the same code that makes them on a fresh
 * install (our migrations, then pg-boss's own schema), so only rows travel: ciphertexts of tokens and CRM secrets
 * byte for byte, identity values kept, and sequences set past the copied ids. pg-boss's job tables come along
 * (pending jobs stay pending, completed ones stay completed); its per-process and statistics tables do not.
 */
export type CopyReport = { tables: { table: string; source: number; target: number }[]; sequences: number; ms: number };

export class CopyRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyRefusedError';
  }
}

const OUR_SCHEMAS = ['public', 'drizzle', 'pgboss'];
/** pg-boss's tables that carry jobs and their settings, parents before children. */
const PGBOSS_TABLES = ['queue', 'schedule', 'subscription', 'job', 'job_dependency'];
const BATCH_ROWS = 500;

/** Tables in an order where each comes after the tables it references. */
export function referenceOrder(tables: TableRef[], foreignKeys: [string, string][]): TableRef[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const ordered: TableRef[] = [];
  const visit = (name: string, path: Set<string>) => {
    if (done.has(name) || path.has(name) || !byName.has(name)) return;
    path.add(name);
    for (const [child, parent] of foreignKeys) if (child === name) visit(parent, path);
    path.delete(name);
    done.add(name);
    const table = byName.get(name);
    if (table) ordered.push(table);
  };
  for (const t of tables) visit(t.name, new Set());
  return ordered;
}

async function tablesToCopy(repo: CopyRepository): Promise<TableRef[]> {
  const ours = referenceOrder(await repo.tables('public'), await repo.foreignKeys('public'));
  const boss = (await repo.tables('pgboss')).filter((t) => PGBOSS_TABLES.includes(t.name));
  boss.sort((a, b) => PGBOSS_TABLES.indexOf(a.name) - PGBOSS_TABLES.indexOf(b.name));
  return [...ours, ...boss];
}

export async function copyDatabase(opts: {
  source: Database;
  target: Database;
  /** Makes pg-boss's schema on the target (jobs/queue.ts start and stop). */
  createJobSchema: (target: Database) => Promise<void>;
  onProgress?: (line: string) => void;
}): Promise<CopyReport> {
  const started = Date.now();
  const { source, target } = opts;
  const say = opts.onProgress ?? (() => undefined);
  const existing = await createCopyRepository(target.db).tablesIn(OUR_SCHEMAS);
  if (existing.length > 0) {
    throw new CopyRefusedError(
      `The target database is not empty (${existing.slice(0, 5).join(', ')}${existing.length > 5 ? ', …' : ''}). ` +
        'Copy into a new, empty database (createdb threadline), so nothing already there is mixed with the copy.',
    );
  }
  say('Creating the tables on the target (migrations, job queue)…');
  await runMigrations(target);
  await opts.createJobSchema(target);

  return source.db.transaction(
    async (sourceTx) => {
      const from = createCopyRepository(sourceTx);
      const tables = await tablesToCopy(from);
      const partitioned = tables.some((t) => t.schema === 'pgboss' && t.name === 'queue') ? await from.partitionedJobQueues() : [];
      if (partitioned.length > 0) throw new CopyRefusedError(`Job queues with their own partition cannot be copied: ${partitioned.join(', ')}.`);
      return target.db.transaction(async (targetTx) => {
        const to = createCopyRepository(targetTx);
        const report: CopyReport = { tables: [], sequences: 0, ms: 0 };
        for (const table of tables) {
          const columns = await to.writableColumns(table);
          const sourceColumns = new Set(await from.writableColumns(table));
          const missing = [...sourceColumns].filter((c) => !columns.includes(c));
          if (missing.length > 0) throw new CopyRefusedError(`${tableName(table)} has columns the target lacks (${missing.join(', ')}): are both on the same Threadline version?`);
          let copied = 0;
          for await (const rows of from.batches(table, BATCH_ROWS)) copied += await to.insertRows(table, columns.filter((c) => sourceColumns.has(c)), rows);
          const sourceCount = await from.count(table);
          const targetCount = await to.count(table);
          report.tables.push({ table: tableName(table), source: sourceCount, target: targetCount });
          // pg-boss made some rows of its own (its internal queue) that the copy then left as they were
          const complete = table.schema === 'pgboss' ? targetCount >= sourceCount : targetCount === sourceCount && copied === sourceCount;
          if (!complete) throw new CopyRefusedError(`${tableName(table)}: ${sourceCount} rows in the source, ${targetCount} in the target after the copy; nothing was kept.`);
          say(`  ${tableName(table).padEnd(36)} ${sourceCount}`);
        }
        for (const schema of ['public', 'pgboss']) {
          for (const seq of await from.sequences(schema)) {
            await to.setSequence(seq);
            report.sequences += 1;
          }
        }
        report.ms = Date.now() - started;
        return report;
      });
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
