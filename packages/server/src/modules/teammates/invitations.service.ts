import type { AccountRole, Invitation, InvitationPreview, SessionResponse, SignupMode } from '@threadline/contract';
import { INVITATION_PATH } from '@threadline/contract';
import type { Db } from '../../db/client.ts';
import type { InboxUnitsOfWork } from '../../events/inbox-events.ts';
import { hashPassword } from '../../shared/crypto/password.ts';
import { randomToken, sha256Hex } from '../../shared/crypto/random.ts';
import { assertManages, type AccountAccess } from '../accounts/account-access.ts';
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import type { AuditEntry } from '../audit/audit.repository.ts';
import type { AuthRepository } from '../auth/auth.repository.ts';
import { isUniqueViolation } from '../../shared/db-errors.ts';
import type { AuthService, RequestContext } from '../auth/auth.service.ts';
import type { LoginThrottle } from '../auth/login-throttle.ts';
import { teammatesErrors } from './teammates.errors.ts';
import type { InvitationRow, TeammatesRepository } from './teammates.repository.ts';

export type InvitationsServiceDeps = {
  /** Opens the transactions that create, revoke and use an invitation. */
  units: Pick<InboxUnitsOfWork, 'run'>;
  repo: TeammatesRepository;
  access: Pick<AccountAccess, 'requireRole'>;
  accountsRepo: Pick<AccountsRepository, 'addMember' | 'membership'>;
  authRepo: Pick<AuthRepository, 'findUserByUsername' | 'insertUser'>;
  auth: Pick<AuthService, 'issueSession'>;
  throttle: Pick<LoginThrottle, 'reserveAddress'>;
  audit: (entry: AuditEntry, tx?: Db) => Promise<void>;
  publicBaseUrl: URL;
  signupMode: SignupMode;
  now: () => Date;
};

type Listed = { invitation: InvitationRow; createdBy: string | null; usedBy: string | null };

function statusOf(row: InvitationRow, at: Date): Invitation['status'] {
  if (row.usedAt) return 'used';
  if (row.revokedAt) return 'revoked';
  return row.expiresAt.getTime() <= at.getTime() ? 'expired' : 'pending';
}

const usable = (row: InvitationRow, at: Date) => statusOf(row, at) === 'pending';

/**
 * Invitation links: made and revoked by an account's owners and admins (a role they may grant) or, bound to no
 * account, by instance administrators; used once, before they expire, by whoever opens them: signing up with a
 * password here, or through Meta (oauth-users.ts redeems them in the sign-in's transaction).
 */
export function createInvitationsService(deps: InvitationsServiceDeps) {
  const { units, repo, access, accountsRepo, authRepo, audit, now } = deps;

  function present(l: Listed, at: Date): Invitation {
    const i = l.invitation;
    return {
      id: i.id,
      account_id: i.accountId,
      role: i.role,
      status: statusOf(i, at),
      created_by: l.createdBy,
      created_at: i.createdAt.toISOString(),
      expires_at: i.expiresAt.toISOString(),
      used_by: l.usedBy,
      used_at: i.usedAt?.toISOString() ?? null,
    };
  }

  async function findUsable(token: string) {
    const found = await repo.findInvitationByTokenHash(sha256Hex(token));
    if (!found || !usable(found.invitation, now())) throw teammatesErrors.invitationInvalid();
    return found;
  }

  /** Uses the invitation for `userId` inside the caller's transaction; false when it is no longer usable. */
  async function redeem(invitationId: string, userId: string, tx: Db): Promise<boolean> {
    const at = now();
    const row = await repo.lockInvitation(invitationId, tx);
    if (!row || !usable(row, at)) return false;
    await repo.markInvitationUsed(row.id, userId, at, tx);
    if (row.accountId && row.role && !(await accountsRepo.membership(userId, row.accountId, tx))) {
      await accountsRepo.addMember(userId, row.accountId, row.role, tx);
    }
    await audit({ action: 'invitations.used', actorUserId: userId, accountId: row.accountId, target: row.id, details: { role: row.role } }, tx);
    return true;
  }

  return {
    redeem,

    /** An invitation to `accountId` (null: to the instance, made by an administrator; the route checks that). */
    async create(actorUserId: string, accountId: string | null, input: { role: AccountRole; expiresInHours: number }) {
      if (accountId) {
        const actor = await access.requireRole(actorUserId, accountId, 'admin');
        assertManages(actor.role, input.role, input.role);
      }
      const token = randomToken(32);
      const at = now();
      const row = await units.run(async ({ tx }) => {
        const inserted = await repo.insertInvitation(
          {
            tokenHash: sha256Hex(token),
            accountId,
            role: accountId ? input.role : null,
            createdByUserId: actorUserId,
            expiresAt: new Date(at.getTime() + input.expiresInHours * 3_600_000),
          },
          tx,
        );
        await audit({ action: 'invitations.created', actorUserId, accountId, target: inserted.id, details: { role: inserted.role } }, tx);
        return inserted;
      });
      const url = new URL(INVITATION_PATH, deps.publicBaseUrl);
      url.hash = token;
      return { ...present({ invitation: row, createdBy: null, usedBy: null }, at), url: url.toString() };
    },

    async list(actorUserId: string, accountId: string | null): Promise<Invitation[]> {
      if (accountId) await access.requireRole(actorUserId, accountId, 'admin');
      const at = now();
      return (await repo.listInvitations(accountId)).map((l) => present(l, at));
    },

    async revoke(actorUserId: string, accountId: string | null, invitationId: string): Promise<Invitation> {
      if (accountId) await access.requireRole(actorUserId, accountId, 'admin');
      const row = await repo.findInvitation(invitationId);
      if (!row || row.accountId !== accountId) throw teammatesErrors.invitationNotFound();
      if (!usable(row, now())) throw teammatesErrors.invitationNotPending();
      await units.run(async ({ tx }) => {
        await repo.revokeInvitation(row.id, now(), tx);
        await audit({ action: 'invitations.revoked', actorUserId, accountId, target: row.id }, tx);
      });
      const listed = (await repo.listInvitations(accountId)).find((l) => l.invitation.id === row.id);
      if (!listed) throw teammatesErrors.invitationNotFound();
      return present(listed, now());
    },

    /** What the person opening a link is told; 400 `invitations.invalid` when it cannot be used. */
    async preview(token: string): Promise<InvitationPreview> {
      const found = await findUsable(token);
      return {
        account_username: found.accountUsername,
        role: found.invitation.role,
        expires_at: found.invitation.expiresAt.toISOString(),
        oauth_signup: deps.signupMode !== 'closed',
      };
    },

    /** The invitation a Meta sign-in starts from (checked again, and used, when the user joins). */
    async idForSignIn(token: string): Promise<string> {
      return (await findUsable(token)).invitation.id;
    },

    /** Signs up with a username and password from an invitation, joins with its role, and signs in. */
    async acceptWithPassword(token: string, username: string, password: string, ctx: RequestContext): Promise<SessionResponse> {
      const found = await findUsable(token);
      if (await authRepo.findUserByUsername(username)) throw teammatesErrors.usernameTaken(username);
      // hashing costs: counted per address like a sign-in, after the cheap checks
      const attempt = await deps.throttle.reserveAddress(ctx.ip);
      const passwordHash = await hashPassword(password);
      const user = await units
        .run(async ({ tx }) => {
          const created = await authRepo.insertUser({ username, passwordHash, isAdmin: false }, tx);
          if (!(await redeem(found.invitation.id, created.id, tx))) throw teammatesErrors.invitationInvalid();
          await audit({ action: 'users.created', actorUserId: created.id, target: created.id, details: { invitation: found.invitation.id }, ip: ctx.ip }, tx);
          return created;
        })
        .catch((error: unknown) => {
          if (isUniqueViolation(error)) throw teammatesErrors.usernameTaken(username);
          throw error;
        });
      await attempt.succeeded();
      return deps.auth.issueSession(user, found.invitation.accountId, ctx);
    },
  };
}
export type InvitationsService = ReturnType<typeof createInvitationsService>;
