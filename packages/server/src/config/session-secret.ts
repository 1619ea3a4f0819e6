/*
 * SESSION_SECRET's checks (config.ts): it signs sessions and derives the token vault's key.
 */

/** With PostgreSQL (several processes, production) the secret must be given and strong; it cannot be generated. */
/** A weak SESSION_SECRET is refused on every engine; only PostgreSQL requires one (PGlite generates it). */
export function sessionSecretProblems(databaseUrl: string | undefined, secret: string | undefined): string[] {
  if (!secret?.trim()) {
    return databaseUrl?.trim() ? ['SESSION_SECRET: required when DATABASE_URL is set (generate one: openssl rand -base64 48)'] : [];
  }
  const weak = sessionSecretWeakness(secret.trim());
  return weak ? [`SESSION_SECRET: ${weak} (generate one: openssl rand -base64 48)`] : [];
}

/** Why a session secret is too weak to sign sessions and derive the vault key, or null when it is fine. */
export function sessionSecretWeakness(secret: string): string | null {
  if (secret.length < 32) return `too short (${secret.length} characters; at least 32 are required)`;
  if (new Set(secret).size < 10) return 'too repetitive (fewer than 10 distinct characters)';
  if (/^(change.?me|secret|password|example)/i.test(secret)) return 'looks like a placeholder value';
  return null;
}
