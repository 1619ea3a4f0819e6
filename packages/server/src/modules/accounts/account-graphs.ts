import { bindAccountGraph, type AccountConnection, type AccountGraphClient, type GraphHosts } from '../../instagram/account-graph.ts';
import type { AccountTokens } from './account-tokens.ts';
import type { LegacyPaths } from './legacy-path.ts';

/**
 * The account-bound Graph client of an account, resolved from its path, Page and token at the moment of the call:
 * null when the account has no usable token (disconnected, never given one, or a legacy token neither host takes).
 */
export function createAccountGraphs(deps: { tokens: AccountTokens; hosts: GraphHosts; legacyPaths: LegacyPaths }) {
  return {
    async forAccount(accountId: string): Promise<AccountGraphClient | null> {
      const c = await deps.tokens.credentialsFor(accountId);
      if (!c) return null;
      const path = c.loginPath ?? (await deps.legacyPaths.resolve(c));
      if (!path) return null;
      return bindAccountGraph(deps.hosts, { path, accessToken: c.accessToken, igUserId: c.igUserId, facebookPageId: c.facebookPageId });
    },
    /** A client for a connection that is not stored yet (an OAuth flow subscribing the account it is linking). */
    bind: (connection: AccountConnection): AccountGraphClient => bindAccountGraph(deps.hosts, connection),
  };
}
export type AccountGraphs = ReturnType<typeof createAccountGraphs>;
