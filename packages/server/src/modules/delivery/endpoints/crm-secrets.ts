import type { TokenVault } from '../../../shared/crypto/token-vault.ts';
import type { SendingAccount } from '../dispatch/crm.repository.ts';

type SecretHolder = Pick<SendingAccount, 'webhookSecret' | 'webhookSecretPrevious' | 'webhookSecretRotatedAt'>;

/** The secrets a delivery is signed with now: the current one, plus the previous one during the overlap. */
export function signingSecrets(account: SecretHolder, vault: TokenVault, overlapMs: number, now: Date): string[] {
  if (account.webhookSecret === null) return [];
  const secrets = [vault.decrypt(account.webhookSecret)];
  if (previousSecretValidUntil(account, overlapMs, now) !== null && account.webhookSecretPrevious !== null) {
    secrets.push(vault.decrypt(account.webhookSecretPrevious));
  }
  return secrets;
}

/** Until when the previous secret still signs, or null when there is none or its overlap is over. */
export function previousSecretValidUntil(account: SecretHolder, overlapMs: number, now: Date): Date | null {
  if (account.webhookSecretPrevious === null || account.webhookSecretRotatedAt === null) return null;
  const until = new Date(account.webhookSecretRotatedAt.getTime() + overlapMs);
  return until > now ? until : null;
}
