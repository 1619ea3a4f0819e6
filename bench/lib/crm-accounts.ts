// bench:crm's two Instagram accounts, owned by the bench's administrator, each with its own CRM receiver. The CRM
// URLs are set through Threadline's API, as a user would set them.
import { accountListSchema } from '@threadline/contract';
import type { Sql } from './ingest-db.ts';

export const IG_ACCOUNT = '17841400000000777';
/** A second account with its own CRM, which stays up during the outage run. */
export const IG_ACCOUNT_OTHER = '17841400000000778';
const OTHER_USERNAME = 'bench_crm_other';

/** Inserts both accounts and makes `adminUsername` their owner (the first one its primary account). */
export async function insertOwnedAccounts(sql: Sql, adminUsername: string): Promise<void> {
  for (const [ig, name] of [
    [IG_ACCOUNT, 'bench_crm'],
    [IG_ACCOUNT_OTHER, OTHER_USERNAME],
  ] as const) {
    await sql.query(`insert into accounts (ig_user_id, username) values ($1, $2)`, [ig, name]);
    await sql.query(
      `insert into user_accounts (user_id, account_id, role, is_primary)
       select u.id, a.id, 'owner', $3 from users u, accounts a where u.username = $1 and a.ig_user_id = $2`,
      [adminUsername, ig, ig === IG_ACCOUNT],
    );
  }
}

/** Points the first account at the receiver on `port` and the other at the one on `otherPort`. */
export async function setCrmUrls(origin: string, token: string, ports: { port: number; otherPort: number }): Promise<void> {
  const res = await fetch(`${origin}/api/v1/accounts/me`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`listing accounts answered ${res.status}`);
  const { accounts } = accountListSchema.parse(await res.json());
  for (const account of accounts) {
    const port = account.username === OTHER_USERNAME ? ports.otherPort : ports.port;
    const patched = await fetch(`${origin}/api/v1/accounts/${account.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ crm_webhook_url: `http://127.0.0.1:${port}/crm` }),
    });
    if (!patched.ok) throw new Error(`setting the CRM URL answered ${patched.status}: ${await patched.text()}`);
  }
}
