import { openDatabase } from '../packages/server/src/db/client.ts';
import { runMigrations } from '../packages/server/src/db/migrate.ts';
const d = await openDatabase({ kind: 'postgres', url: 'postgres://root@127.0.0.1:5432/zz_plan', max: 2 } as never);
await runMigrations(d);
await d.close();
