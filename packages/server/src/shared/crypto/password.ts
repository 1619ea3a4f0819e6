// Password hashing with argon2id at the OWASP baseline (19 MiB, 2 passes, 1 lane).
import { hash, parseOptions, verify } from '@node-rs/argon2';
import type { Options } from '@node-rs/argon2';
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH } from '@threadline/contract';

// `Algorithm` is an ambient const enum, which erasable-syntax TypeScript cannot reference; 2 is Argon2id.
const ARGON2ID = 2;

export const PASSWORD_HASH_OPTIONS = {
  algorithm: ARGON2ID,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const satisfies Options;

// An argon2id hash, with the options above, of 32 random bytes nobody kept: verifying against it costs what a
// real verification costs and can never succeed.
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$U+QcIBdjQyIs+LMuLeKkjw$044Tj+4GK5vQprX4TU6w2unFTGdT+TO6VtWXEEoipN4';

/** A PHC-format argon2id hash with a fresh random salt. */
export async function hashPassword(plain: string): Promise<string> {
  return hash(plain, PASSWORD_HASH_OPTIONS);
}

/** Whether `plain` matches `storedHash`. A malformed stored hash verifies nothing (false), it does not throw. */
export async function verifyPassword(storedHash: string, plain: string): Promise<boolean> {
  try {
    return await verify(storedHash, plain);
  } catch {
    return false;
  }
}

/**
 * Login check that costs the same whether or not the user exists: without a stored hash (unknown user, or a
 * user who signs in only with Instagram) it verifies against a dummy hash and returns false.
 */
export async function verifyPasswordOrDummy(storedHash: string | null, plain: string): Promise<boolean> {
  if (storedHash === null) {
    await verifyPassword(DUMMY_HASH, plain);
    return false;
  }
  return verifyPassword(storedHash, plain);
}

/** Whether a stored hash was made with weaker or different options than today's, so it should be replaced at
 * the next successful login. */
export function passwordNeedsRehash(storedHash: string): boolean {
  try {
    const used = parseOptions(storedHash);
    return (
      used.algorithm !== ARGON2ID ||
      used.memoryCost !== PASSWORD_HASH_OPTIONS.memoryCost ||
      used.timeCost !== PASSWORD_HASH_OPTIONS.timeCost ||
      used.parallelism !== PASSWORD_HASH_OPTIONS.parallelism
    );
  } catch {
    return true;
  }
}

export type PasswordProblemCode = 'password.too_short' | 'password.too_long';
export interface PasswordProblem {
  code: PasswordProblemCode;
  message: string;
}

/** The reasons a new password is refused; empty when it is acceptable. Never echoes the password. */
export function passwordPolicy(plain: string): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  // Characters are Unicode code points, so an emoji counts once; the byte cap bounds hashing input.
  if ([...plain].length < PASSWORD_MIN_LENGTH) {
    problems.push({ code: 'password.too_short', message: `Use at least ${PASSWORD_MIN_LENGTH} characters.` });
  }
  if (Buffer.byteLength(plain, 'utf8') > PASSWORD_MAX_BYTES) {
    problems.push({ code: 'password.too_long', message: `Use at most ${PASSWORD_MAX_BYTES} bytes.` });
  }
  return problems;
}
