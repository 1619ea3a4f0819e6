import { createTestApp, login, type TestApp } from './app.ts';
import { createAccount, createUser } from './factories.ts';

/**
 * The real app with a team: an owner and a viewer of the "shop" account, and a stranger who owns another account
 * ("theirs"), each signed in.
 */
export async function createTeamApp(opts: { ownerName?: string } = {}) {
  const t: TestApp = await createTestApp();
  const db = t.database.db;
  const ownerName = opts.ownerName ?? 'owner';
  const owner = await createUser(db, { username: ownerName, password: 'owner-password' });
  const viewer = await createUser(db, { username: 'viewer', password: 'viewer-password' });
  const stranger = await createUser(db, { username: 'stranger', password: 'stranger-password' });
  const shop = (await createAccount(db, { username: 'shop', members: [{ userId: owner.id, role: 'owner', isPrimary: true }, { userId: viewer.id, role: 'viewer', isPrimary: true }] })).id;
  const theirs = (await createAccount(db, { username: 'theirs', members: [{ userId: stranger.id, role: 'owner', isPrimary: true }] })).id;
  const tokens = {
    owner: (await login(t, ownerName, 'owner-password')).token,
    viewer: (await login(t, 'viewer', 'viewer-password')).token,
    stranger: (await login(t, 'stranger', 'stranger-password')).token,
  };
  return { t, db, users: { owner, viewer, stranger }, shop, theirs, tokens };
}
