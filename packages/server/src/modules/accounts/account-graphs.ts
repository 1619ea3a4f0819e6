import { bindAccountGraph, type AccountConnection, type AccountGraphClient, type GraphHosts } from '../../instagram/account-graph.ts';
import type { AccountTokens } from './account-tokens.ts';
import { detectTokenPath, type LegacyPaths } from './legacy-path.ts';

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
    /**
     * The same client for a check that must change nothing (`threadline doctor`): an account whose path is not
     * recorded yet (the legacy account) is asked about without recording the answer; `neither` quotes both hosts'
     * answers when neither takes its token. Null when the account has no token.
     */
    async forCheck(accountId: string): Promise<{ client: AccountGraphClient } | { neither: string } | null> {
      const c = await deps.tokens.credentialsFor(accountId);
      if (!c) return null;
      const connection = { accessToken: c.accessToken, igUserId: c.igUserId, facebookPageId: c.facebookPageId };
      if (c.loginPath) return { client: bindAccountGraph(deps.hosts, { ...connection, path: c.loginPath }) };
      const found = await detectTokenPath(deps.hosts, c.accessToken, c.igUserId);
      if (!found.path) return { neither: `graph.facebook.com: ${found.facebook}; graph.instagram.com: ${found.instagram}` };
      return { client: bindAccountGraph(deps.hosts, { ...connection, path: found.path }) };
    },
    /** A client for a connection that is not stored yet (an OAuth flow subscribing the account it is linking). */
    bind: (connection: AccountConnection): AccountGraphClient => bindAccountGraph(deps.hosts, connection),
  };
}
export type AccountGraphs = ReturnType<typeof createAccountGraphs>;
