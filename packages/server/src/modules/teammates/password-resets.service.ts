import { PASSWORD_RESET_PATH, PASSWORD_RESET_TTL_SECONDS } from '@threadline/contract';
import type { Db } from '../../db/client.ts';
import type { InboxUnitsOfWork } from '../../events/inbox-events.ts';
import { hashPassword } from '../../shared/crypto/password.ts';
import { randomToken, sha256Hex } from '../../shared/crypto/random.ts';
import type { AuditEntry } from '../audit/audit.repository.ts';
import type { AuthRepository } from '../auth/auth.repository.ts';
import type { RequestContext } from '../auth/auth.service.ts';
import type { LoginThrottle } from '../auth/login-throttle.ts';
import { teammatesErrors } from './teammates.errors.ts';
import type { TeammatesRepository } from './teammates.repository.ts';

export type PasswordResetsDeps = {
  /** Opens the transactions that issue and use a link. */
  units: Pick<InboxUnitsOfWork, 'run'>;
  repo: TeammatesRepository;
  authRepo: Pick<AuthRepository, 'findUserById' | 'findUserByUsername' | 'updateUser' | 'revokeUserSessions'>;
  throttle: Pick<LoginThrottle, 'reserveAddress'>;
  audit: (entry: AuditEntry, tx?: Db) => Promise<void>;
  publicBaseUrl: URL;
  now: () => Date;
};

/**
 * One-time password-reset links an administrator issues for another user (from the admin page, or
 * `threadline user reset-password`): valid a day, single use, the newest only; using one sets the password and
 * ends every session of the user.
 */
export function createPasswordResets(deps: PasswordResetsDeps) {
  const { units, repo, authRepo, audit, now } = deps;

  async function findUsable(token: string) {
    const found = await repo.findPasswordReset(sha256Hex(token));
    if (!found || found.reset.usedAt || found.disabledAt || found.reset.expiresAt.getTime() <= now().getTime()) {
      throw teammatesErrors.passwordResetInvalid();
    }
    return found;
  }

  return {
    /** A new link for the user (earlier unused ones stop working); `actorUserId` null when issued from the CLI. */
    async issue(actorUserId: string | null, userId: string): Promise<{ url: string; expiresAt: Date }> {
      const user = await authRepo.findUserById(userId);
      if (!user) throw teammatesErrors.userNotFound();
      const token = randomToken(32);
      const at = now();
      const expiresAt = new Date(at.getTime() + PASSWORD_RESET_TTL_SECONDS * 1000);
      await units.run(async ({ tx }) => {
        await repo.expireUnusedPasswordResets(user.id, at, tx);
        await repo.insertPasswordReset({ tokenHash: sha256Hex(token), userId: user.id, createdByUserId: actorUserId, expiresAt }, tx);
        await audit({ action: 'users.password_reset_issued', actorUserId, target: user.id }, tx);
      });
      const url = new URL(PASSWORD_RESET_PATH, deps.publicBaseUrl);
      url.hash = token;
      return { url: url.toString(), expiresAt };
    },

    async issueForUsername(username: string) {
      const user = await authRepo.findUserByUsername(username);
      if (!user) throw teammatesErrors.userNotFound();
      return { username: user.username, ...(await this.issue(null, user.id)) };
    },

    async preview(token: string) {
      const found = await findUsable(token);
      return { username: found.username, expires_at: found.reset.expiresAt.toISOString() };
    },

    /** Sets the new password, uses the link up, and ends every session of the user. */
    async reset(token: string, newPassword: string, ctx: RequestContext): Promise<void> {
      const found = await findUsable(token);
      const attempt = await deps.throttle.reserveAddress(ctx.ip);
      const passwordHash = await hashPassword(newPassword);
      await units.run(async ({ tx }) => {
        const row = await repo.lockPasswordReset(found.reset.tokenHash, tx);
        if (!row || row.usedAt || row.expiresAt.getTime() <= now().getTime()) throw teammatesErrors.passwordResetInvalid();
        await repo.markPasswordResetUsed(row.tokenHash, now(), tx);
        await authRepo.updateUser(row.userId, { passwordHash, passwordChangedAt: now() }, tx);
        await authRepo.revokeUserSessions(row.userId, null, tx);
        await audit({ action: 'users.password_reset', actorUserId: row.userId, target: row.userId, ip: ctx.ip }, tx);
      });
      await attempt.succeeded();
    },
  };
}
export type PasswordResets = ReturnType<typeof createPasswordResets>;
