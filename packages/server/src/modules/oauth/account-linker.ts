import type { SignupMode } from '@threadline/contract';
import type { InboxUnitsOfWork } from '../../events/inbox-events.ts';
import type { Db } from '../../db/client.ts';
import type { TokenVault } from '../../shared/crypto/token-vault.ts';
import type { AccountStatus } from '../accounts/account-status.ts';
import type { AccountRow, AccountsRepository } from '../accounts/accounts.repository.ts';
import type { AuditEntry } from '../audit/audit.repository.ts';
import { FlowFailure } from './oauth-flow.ts';
import type { LinkedConnection, LinkedProfile, OAuthLinkRepository, UserRow } from './oauth-link.repository.ts';
import { assertMaySignIn, findOrCreateOAuthUser, type OAuthIdentity } from './oauth-users.ts';

export type LinkItem = {
  profile: LinkedProfile;
  /** `expiresIn` null: a token that does not expire (a Page token made from a long-lived user token). */
  token: { accessToken: string; expiresIn: number | null; scopes: string[] };
  connection: LinkedConnection;
};

/**
 * Who the accounts join: the signed-in user (link), or the person signing in through Meta (login), perhaps from an
 * invitation link (used up in the link's transaction: the person joins with its role).
 */
export type LinkActor = { userId: string } | { identity: OAuthIdentity; invitationId: string | null };

export type AccountLinkerDeps = {
  db: Db;
  /** Opens the transactions that record inbox events (an account connected). */
  units: InboxUnitsOfWork;
  vault: TokenVault;
  links: OAuthLinkRepository;
  accounts: AccountsRepository;
  status: AccountStatus;
  audit: (entry: AuditEntry, tx?: Db) => Promise<void>;
  now: () => Date;
  signupMode: SignupMode;
  /** Uses an invitation for the user inside the transaction; false when it is no longer usable. */
  redeemInvitation: (invitationId: string, userId: string, tx: Db) => Promise<boolean>;
};

/**
 * The end of every Meta login, after each Meta step succeeded: in one transaction, the accounts are created or
 * refreshed (token encrypted, path, profile, `active`), the user is found or created (the one function both flows
 * use), and the memberships added: owner when the account is new to Threadline, admin when others already have it
 * (they keep their roles). A failure leaves no half-created account or user behind.
 */
export function createAccountLinker(deps: AccountLinkerDeps) {
  const { vault, links, accounts, status, audit } = deps;
  return {
    /** Refuses a person SIGNUP_MODE will not let in, before the flow subscribes anything at Meta (throws FlowFailure). */
    async assertMaySignIn(actor: LinkActor): Promise<void> {
      if ('identity' in actor) await assertMaySignIn(links, actor.identity, { mode: deps.signupMode, invitationId: actor.invitationId });
    },

    async link(items: LinkItem[], actor: LinkActor): Promise<{ accounts: AccountRow[]; user: UserRow; createdUser: boolean }> {
      const at = deps.now();
      return deps.units.run(async (uow) => {
        const { tx } = uow;
        const linked: { row: AccountRow; before: AccountRow | undefined }[] = [];
        for (const item of items) {
          const expiresAt = item.token.expiresIn === null ? null : new Date(at.getTime() + item.token.expiresIn * 1000);
          const token = { encrypted: vault.encrypt(item.token.accessToken), expiresAt, issuedAt: at, scopes: item.token.scopes };
          linked.push(await links.upsertAccount(item.profile, token, item.connection, at, tx));
        }
        let user: UserRow | undefined;
        let createdUser = false;
        if ('userId' in actor) user = await links.findUser(actor.userId, tx);
        else {
          const policy = { mode: deps.signupMode, invitationId: actor.invitationId };
          ({ user, created: createdUser } = await findOrCreateOAuthUser(links, actor.identity, policy, tx));
        }
        if (!user || user.disabledAt) throw new FlowFailure('user_disabled');
        if ('identity' in actor && actor.invitationId && !(await deps.redeemInvitation(actor.invitationId, user.id, tx))) {
          throw new FlowFailure('invitation_invalid');
        }
        for (const [i, { row: account, before }] of linked.entries()) {
          if (!(await accounts.membership(user.id, account.id, tx))) {
            const { members } = await accounts.countMembers(account.id, tx);
            await accounts.addMember(user.id, account.id, members === 0 ? 'owner' : 'admin', tx);
          }
          if (!before || before.status !== 'active') await status.recordConnected(account.id, uow);
          await audit(
            {
              action: before ? 'accounts.relinked' : 'accounts.linked',
              actorUserId: user.id,
              accountId: account.id,
              target: account.igUserId,
              details: { createdUser, path: items[i]?.connection.loginPath ?? null },
            },
            tx,
          );
        }
        return { accounts: linked.map((l) => l.row), user, createdUser };
      });
    },
  };
}
export type AccountLinker = ReturnType<typeof createAccountLinker>;
