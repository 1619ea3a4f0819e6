import { randomBytes } from 'node:crypto';
import type { Db } from '../src/db/client.ts';
import { accounts, userAccounts, users } from '../src/db/schema/index.ts';
import { hashPassword } from '../src/shared/crypto/password.ts';

type AccountRole = 'owner' | 'admin' | 'viewer';

/** Builders for test data; each creates what it needs and returns the rows. */
export async function createUser(db: Db, opts: { username?: string; password?: string; isAdmin?: boolean } = {}) {
  const username = opts.username ?? `user_${randomBytes(4).toString('hex')}`;
  const [row] = await db
    .insert(users)
    .values({
      username,
      passwordHash: opts.password ? await hashPassword(opts.password) : null,
      isAdmin: opts.isAdmin ?? false,
    })
    .returning();
  if (!row) throw new Error('no user');
  return row;
}

export async function createAccount(
  db: Db,
  opts: { igUserId?: string; username?: string; members?: { userId: string; role: AccountRole; isPrimary?: boolean }[] } = {},
) {
  const igUserId = opts.igUserId ?? `17841${Math.floor(Math.random() * 1e10)}`;
  const [row] = await db
    .insert(accounts)
    .values({ igUserId, username: opts.username ?? `shop_${igUserId.slice(-4)}` })
    .returning();
  if (!row) throw new Error('no account');
  for (const m of opts.members ?? []) {
    await db.insert(userAccounts).values({ userId: m.userId, accountId: row.id, role: m.role, isPrimary: m.isPrimary ?? false });
  }
  return row;
}
