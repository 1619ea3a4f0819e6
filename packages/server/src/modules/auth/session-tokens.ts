import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { SESSION_TTL_SECONDS, sessionTokenPayloadSchema, type SessionTokenPayload } from '@threadline/contract';
import { authErrors } from './auth.errors.ts';

export type SessionClaims = Omit<SessionTokenPayload, 'exp' | 'type'>;

/** Signs and verifies UI session JWTs: HS256 only, `exp` and `type` always checked. */
export function createSessionTokens(key: Uint8Array, now: () => Date = () => new Date()) {
  return {
    ttlSeconds: SESSION_TTL_SECONDS,
    async issue(claims: SessionClaims): Promise<{ token: string; expiresAt: Date }> {
      const exp = Math.floor(now().getTime() / 1000) + SESSION_TTL_SECONDS;
      const payload: SessionTokenPayload = { ...claims, exp, type: 'ui_session' };
      // The payload is fixed by the original contract (no jti/iat), so two sign-ins in one second would
      // otherwise yield the same token; a random session id in the protected header keeps each one distinct.
      const sid = randomBytes(12).toString('base64url');
      const token = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT', sid }).sign(key);
      return { token, expiresAt: new Date(exp * 1000) };
    },
    /** The verified payload, or an AppError carrying one of the four contract messages. */
    async verify(token: string): Promise<SessionTokenPayload> {
      let raw: Record<string, unknown>;
      try {
        const result = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          requiredClaims: ['exp'],
          currentDate: now(),
        });
        raw = result.payload;
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw authErrors.sessionExpired();
        throw authErrors.invalidToken();
      }
      if (raw.type !== 'ui_session') throw authErrors.invalidTokenType();
      const parsed = sessionTokenPayloadSchema.safeParse(raw);
      if (!parsed.success) throw authErrors.invalidToken();
      return parsed.data;
    },
  };
}
export type SessionTokens = ReturnType<typeof createSessionTokens>;
