import { routes, type AccountSummary } from '@threadline/contract';
import { route } from '../../http/route.ts';
import type { App } from '../../http/server.ts';
import { requireSession } from '../auth/auth.plugin.ts';
import type { AuthRepository } from '../auth/auth.repository.ts';
import { requestContext, setSessionCookie, type SessionCookie } from '../auth/auth.routes.ts';
import type { AuthService } from '../auth/auth.service.ts';
import type { AccountAccess, AccountRole } from './account-access.ts';
import type { AccountRow } from './accounts.repository.ts';
import type { AccountsService } from './accounts.service.ts';
import { authErrors } from '../auth/auth.errors.ts';

export type AccountsRoutesOptions = {
  accounts: AccountsService;
  access: AccountAccess;
  auth: AuthService;
  authRepo: AuthRepository;
  cookie: SessionCookie;
};

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The projection every account answer goes through: no token, no secret, ever. */
export function presentAccount(row: { account: AccountRow; role: AccountRole; isPrimary: boolean }): AccountSummary {
  const a = row.account;
  return {
    id: a.id,
    ig_user_id: a.igUserId,
    username: a.username,
    name: a.name,
    profile_picture_url: a.profilePictureUrl,
    followers_count: a.followersCount,
    role: row.role,
    is_primary: row.isPrimary,
    status: a.status,
    status_reason: a.statusReason,
    token_expires_at: iso(a.tokenExpiresAt),
    last_synced_at: iso(a.lastSyncedAt),
    crm_webhook_url_set: a.crmWebhookUrl !== null,
    is_legacy: a.isLegacy,
    login_path: a.loginPath,
    facebook_page: a.loginPath === 'facebook_login' && a.facebookPageId ? { id: a.facebookPageId, name: a.facebookPageName ?? '' } : null,
  };
}

const presentMember = (m: { userId: string; username: string; role: AccountRole; linkedAt: Date }) => ({
  user_id: m.userId,
  username: m.username,
  role: m.role,
  linked_at: m.linkedAt.toISOString(),
});

/** A user's accounts, the primary one, switching, unlinking and members (session auth; non-members get 404). */
export async function accountsRoutes(app: App, opts: AccountsRoutesOptions) {
  const { accounts, access, auth, authRepo, cookie } = opts;
  const r = routes.accounts;

  route(app, r.mine, async (req) => {
    const rows = await accounts.listMine(requireSession(req).userId);
    return { accounts: rows.map(presentAccount) };
  });

  route(app, r.setPrimary, async (req) => {
    await accounts.setPrimary(requireSession(req).userId, req.params.id);
    return { ok: true as const };
  });

  route(app, r.unlink, async (req) => {
    const result = await accounts.unlink(requireSession(req).userId, req.params.id);
    return { unlinked: true as const, account_disconnected: result.disconnected };
  });

  route(app, r.switchSession, async (req, reply) => {
    const current = requireSession(req);
    await access.requireRole(current.userId, req.body.account_id, 'viewer');
    const user = await authRepo.findUserById(current.userId);
    if (!user) throw authErrors.invalidToken();
    const session = await auth.issueSession(user, req.body.account_id, requestContext(req));
    // The old session is replaced, not kept alongside: one browser, one current account.
    await auth.logout(current.tokenHash);
    setSessionCookie(reply, cookie, session.token, session.expires_in);
    return session;
  });

  route(app, r.members, async (req) => ({
    members: (await accounts.members(requireSession(req).userId, req.params.id)).map(presentMember),
  }));

  route(app, r.addMember, async (req, reply) => {
    const added = await accounts.addMember(requireSession(req).userId, req.params.id, req.body);
    return reply.code(201).send(presentMember(added));
  });

  route(app, r.updateMember, async (req) =>
    presentMember(await accounts.updateMember(requireSession(req).userId, req.params.id, req.params.userId, req.body.role)),
  );

  route(app, r.removeMember, async (req) => {
    const result = await accounts.removeMember(requireSession(req).userId, req.params.id, req.params.userId);
    return { unlinked: true as const, account_disconnected: result.disconnected };
  });
}
