import { and, eq, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { oauthStates } from '../../db/schema/index.ts';
import { OAUTH_STATE_TTL_SECONDS } from '@threadline/contract';
import { constantTimeEqual, randomToken, sha256Hex } from '../../shared/crypto/random.ts';
import { safeRedirect } from './oauth-redirect.ts';

export type OAuthStateRow = typeof oauthStates.$inferSelect;

export type ConsumedState =
  | { ok: true; row: OAuthStateRow }
  | { ok: false; why: 'unknown' | 'used' | 'expired' | 'other_browser' };

/** OAuth `state` rows: created at authorize, consumed once at the callback, deleted by a job when expired. */
export function createOAuthStateRepository(db: Db) {
  return {
    async create(values: {
      state: string;
      provider: 'instagram' | 'facebook';
      userId: string | null;
      invitationId: string | null;
      redirect: string;
      browserBindingHash: string;
      expiresAt: Date;
    }) {
      await db.insert(oauthStates).values({
        state: values.state,
        provider: values.provider,
        userId: values.userId,
        invitationId: values.invitationId,
        redirectUri: values.redirect,
        browserBindingHash: values.browserBindingHash,
        expiresAt: values.expiresAt,
      });
    },

    /**
     * Starts a flow of `provider`: a random state (single use, OAUTH_STATE_TTL_SECONDS) and the browser binding to put
     * in a cookie (only its hash is kept). `redirect` is made safe here.
     */
    async begin(
      provider: 'instagram' | 'facebook',
      input: { userId: string | null; redirect: string | undefined; invitationId?: string | null },
      now: Date,
    ) {
      const state = randomToken(32);
      const binding = randomToken(32);
      await this.create({
        state,
        provider,
        userId: input.userId,
        invitationId: input.userId ? null : (input.invitationId ?? null),
        redirect: safeRedirect(input.redirect),
        browserBindingHash: sha256Hex(binding),
        expiresAt: new Date(now.getTime() + OAUTH_STATE_TTL_SECONDS * 1000),
      });
      return { state, binding, maxAgeSeconds: OAUTH_STATE_TTL_SECONDS };
    },

    /**
     * Marks the state used, once. The row is locked while it is checked, so two callbacks racing with the same
     * state cannot both pass; the binding hashes are compared in constant time. A state of the other flow is unknown.
     * `tx` is the caller's transaction, which holds the lock until it commits.
     */
    async consume(state: string, bindingHash: string | null, now: Date, provider: 'instagram' | 'facebook', tx: Db): Promise<ConsumedState> {
      const [row] = await tx.select().from(oauthStates).where(eq(oauthStates.state, state)).for('update');
      if (!row || row.provider !== provider) return { ok: false, why: 'unknown' };
      if (row.consumedAt) return { ok: false, why: 'used' };
      // Used now, whatever the verdict: a state that failed once must not get a second try.
      await tx.update(oauthStates).set({ consumedAt: now }).where(eq(oauthStates.state, state));
      if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, why: 'expired' };
      if (!bindingHash || !row.browserBindingHash || !constantTimeEqual(bindingHash, row.browserBindingHash)) {
        return { ok: false, why: 'other_browser' };
      }
      return { ok: true, row: { ...row, consumedAt: now } };
    },

    /** Removes states that expired before `before`, used or not. */
    async deleteExpired(before: Date): Promise<number> {
      const rows = await db
        .delete(oauthStates)
        .where(or(lt(oauthStates.expiresAt, before), and(sql`${oauthStates.consumedAt} is not null`, lt(oauthStates.consumedAt, before))))
        .returning({ state: oauthStates.state });
      return rows.length;
    },
  };
}
export type OAuthStateRepository = ReturnType<typeof createOAuthStateRepository>;
