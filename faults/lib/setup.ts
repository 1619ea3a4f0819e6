// The fault suite's account: the first administrator (through the API, as a user would), the Instagram account row
// (written straight into the database: no Meta to link it through), and the CRM URL set through the API.
import { accountListSchema } from '@threadline/contract';
import type { Sql } from '../../bench/lib/ingest-db.ts';
import { createFirstAdmin, login } from '../../bench/lib/threadline-admin.ts';

const ADMIN = { username: 'faults', password: 'faults-suite-password-0123456789' };

async function insertAccount(sql: Sql, igAccount: string): Promise<void> {
  await sql.query(`insert into accounts (ig_user_id, username) values ($1, 'faults_account') on conflict do nothing`, [igAccount]);
  await sql.query(
    `insert into user_accounts (user_id, account_id, role, is_primary)
     select u.id, a.id, 'owner', true from users u, accounts a where u.username = $1 and a.ig_user_id = $2 on conflict do nothing`,
    [ADMIN.username, igAccount],
  );
}

export async function setUpAccount(opts: {
  origin: string;
  igAccount: string;
  crmUrl: string;
  sql?: Sql;
  /** PGlite: runs the insert with the directory opened while the server is stopped */
  addAccountRow?: (insert: (sql: Sql) => Promise<void>) => Promise<void>;
}): Promise<{ token: string; accountId: string; origin: string }> {
  await createFirstAdmin(opts.origin, ADMIN.username, ADMIN.password);
  if (opts.sql) await insertAccount(opts.sql, opts.igAccount);
  else if (opts.addAccountRow) await opts.addAccountRow((sql) => insertAccount(sql, opts.igAccount));
  const token = await login(opts.origin, ADMIN.username, ADMIN.password);
  const listed = await fetch(`${opts.origin}/api/v1/accounts/me`, { headers: { authorization: `Bearer ${token}` } });
  const account = accountListSchema.parse(await listed.json()).accounts[0];
  if (!account) throw new Error('the account is not listed');
  const patched = await fetch(`${opts.origin}/api/v1/accounts/${account.id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ crm_webhook_url: opts.crmUrl }),
  });
  if (!patched.ok) throw new Error(`setting the CRM URL answered ${patched.status}: ${await patched.text()}`);
  return { token, accountId: account.id, origin: opts.origin };
}
