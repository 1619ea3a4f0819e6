import type { SessionResponse } from '@threadline/contract';
import type { InboxUnitsOfWork } from '../../events/inbox-events.ts';
import { isUniqueViolation } from '../../shared/db-errors.ts';
import { hashPassword, passwordNeedsRehash, verifyPassword, verifyPasswordOrDummy } from '../../shared/crypto/password.ts';
import { sha256Hex } from '../../shared/crypto/random.ts';
import type { AuthRepository, UserRow } from './auth.repository.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { SessionTokens } from './session-tokens.ts';
import { authErrors } from './auth.errors.ts';

export type RequestContext = { ip: string; userAgent: string | undefined };

export type SessionAuth = {
  kind: 'session';
  userId: string;
  username: string;
  accountId: string | null;
  isAdmin: boolean;
  tokenHash: string;
};



export type AuthServiceDeps = {
  /** Opens the transaction that creates the first user. */
  units: Pick<InboxUnitsOfWork, 'run'>;
  repo: AuthRepository;
  tokens: SessionTokens;
  throttle: LoginThrottle;
  audit: (entry: { action: string; actorUserId?: string | null; target?: string; ip?: string }) => Promise<void>;
};

export function createAuthService({ units, repo, tokens, throttle, audit }: AuthServiceDeps) {
  async function issueSession(user: UserRow, accountId: string | null, ctx: RequestContext) {
    const { token, expiresAt } = await tokens.issue({ account_id: accountId, user_id: user.id, username: user.username });
    await repo.insertSession({
      tokenHash: sha256Hex(token),
      userId: user.id,
      accountId,
      expiresAt,
      ip: ctx.ip,
      userAgent: ctx.userAgent?.slice(0, 400),
    });
    const response: SessionResponse = {
      token,
      account_id: accountId,
      user_id: user.id,
      username: user.username,
      expires_in: tokens.ttlSeconds,
    };
    return response;
  }

  return {
    issueSession,

    async login(username: string, password: string, ctx: RequestContext): Promise<SessionResponse> {
      // the attempt is counted before the hash, so parallel guesses cannot all pass a check made before any failed
      const attempt = await throttle.reserve(username, ctx.ip);
      const user = await repo.findUserByUsername(username);
      const usable = user && !user.disabledAt ? user : undefined;
      // Always one full argon2 verification, whether or not the user exists, so timing tells nothing.
      const ok = await verifyPasswordOrDummy(usable?.passwordHash ?? null, password);
      if (!ok || !usable) {
        await audit({ action: 'auth.login_failed', target: username.slice(0, 64), ip: ctx.ip });
        throw authErrors.invalidCredentials();
      }
      await attempt.succeeded();
      // a hash made with older (weaker) options is replaced now that the password is known
      if (usable.passwordHash && passwordNeedsRehash(usable.passwordHash)) {
        await repo.updateUser(usable.id, { passwordHash: await hashPassword(password) });
      }
      await audit({ action: 'auth.login', actorUserId: usable.id, ip: ctx.ip });
      return issueSession(usable, await repo.defaultAccountId(usable.id), ctx);
    },

    async logout(tokenHash: string): Promise<void> {
      await repo.revokeSession(tokenHash);
    },

    /** Verifies a session token: signature, algorithm, expiry, type, and that it was not revoked. */
    async authenticate(token: string): Promise<SessionAuth> {
      const payload = await tokens.verify(token);
      const tokenHash = sha256Hex(token);
      // every request reads both: in one statement
      const session = await repo.findSessionWithUser(tokenHash);
      if (!session) throw authErrors.invalidToken();
      if (session.revokedAt) throw authErrors.sessionExpired();
      const user = session.user;
      if (!user || user.disabledAt || user.id !== payload.user_id) throw authErrors.invalidToken();
      return {
        kind: 'session',
        userId: user.id,
        username: user.username,
        accountId: payload.account_id,
        isAdmin: user.isAdmin,
        tokenHash,
      };
    },

    async currentUser(auth: SessionAuth) {
      const user = await repo.findUserById(auth.userId);
      if (!user) throw authErrors.invalidToken();
      return {
        user_id: user.id,
        username: user.username,
        account_id: auth.accountId,
        is_admin: user.isAdmin,
        has_password: user.passwordHash !== null,
        oauth_provider: user.oauthProvider,
      };
    },

    /** Changes the password and ends every other session of the user. */
    async changePassword(auth: SessionAuth, current: string, next: string, ctx: RequestContext): Promise<void> {
      const user = await repo.findUserById(auth.userId);
      if (!user) throw authErrors.invalidToken();
      if (user.passwordHash) {
        // a stolen session must not become a way to guess the password at leisure: counted like sign-in
        const attempt = await throttle.reserve(user.username, ctx.ip);
        if (!(await verifyPassword(user.passwordHash, current))) {
          throw authErrors.wrongPassword();
        }
        await attempt.succeeded();
      }
      await repo.updateUser(user.id, { passwordHash: await hashPassword(next), passwordChangedAt: new Date() });
      await repo.revokeUserSessions(user.id, auth.tokenHash);
      await audit({ action: 'auth.password_changed', actorUserId: user.id, ip: ctx.ip });
    },

    async needsSetup(): Promise<boolean> {
      return !(await repo.anyUserExists());
    },

    /**
     * Creates the first user, an instance administrator; 409 once any user exists (race-safe). The cheap check comes
     * first and the hash last: once set up, the public route does nothing else, and before that it is throttled per
     * address like sign-in, so nobody can keep the server hashing.
     */
    async setupFirstUser(username: string, password: string, ctx: RequestContext): Promise<SessionResponse> {
      if (await repo.anyUserExists()) throw authErrors.setupAlreadyDone();
      const attempt = await throttle.reserveAddress(ctx.ip);
      const passwordHash = await hashPassword(password);
      const user = await units.run(async ({ tx }) => {
        await repo.lockFirstUserSetup(tx);
        if (await repo.anyUserExists(tx)) throw authErrors.setupAlreadyDone();
        return repo.insertUser({ username, passwordHash, isAdmin: true }, tx);
      });
      await attempt.succeeded();
      await audit({ action: 'setup.first_user', actorUserId: user.id, ip: ctx.ip });
      return issueSession(user, null, ctx);
    },

    async createUser(
      input: { username: string; password: string | null; isAdmin: boolean },
      actorUserId: string | null,
    ): Promise<UserRow> {
      if (await repo.findUserByUsername(input.username)) {
        throw authErrors.usernameTaken(input.username);
      }
      const passwordHash = input.password ? await hashPassword(input.password) : null;
      try {
        const user = await repo.insertUser({ username: input.username, passwordHash, isAdmin: input.isAdmin });
        await audit({ action: 'users.created', actorUserId, target: user.id });
        return user;
      } catch (error) {
        if (isUniqueViolation(error)) throw authErrors.usernameTaken(input.username);
        throw error;
      }
    },

    listUsers: () => repo.listUsers(),

    async updateUser(actor: SessionAuth, userId: string, change: { disabled?: boolean; isAdmin?: boolean }) {
      const target = await repo.findUserById(userId);
      if (!target) throw authErrors.userNotFound();
      if (userId === actor.userId && (change.disabled === true || change.isAdmin === false)) {
        throw authErrors.cannotDemoteSelf();
      }
      const updated = await repo.updateUser(userId, {
        ...(change.disabled !== undefined ? { disabledAt: change.disabled ? new Date() : null } : {}),
        ...(change.isAdmin !== undefined ? { isAdmin: change.isAdmin } : {}),
      });
      if (change.disabled) await repo.revokeUserSessions(userId, null);
      await audit({ action: 'users.updated', actorUserId: actor.userId, target: userId });
      if (!updated) throw authErrors.userNotFound();
      return updated;
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;
