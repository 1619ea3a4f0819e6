import { PASSWORD_MIN_LENGTH } from '@threadline/contract';

/** Why a new password typed twice is refused before it is sent, in words; null when it may be sent. */
export function newPasswordProblem(password: string, confirm: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `Password: at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (password !== confirm) return 'The two passwords differ.';
  return null;
}
