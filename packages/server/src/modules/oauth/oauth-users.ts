import { randomBytes } from 'node:crypto';
import { USERNAME_PATTERN } from '@threadline/contract';
import type { Db } from '../../db/client.ts';
import type { InstagramMe } from '../../instagram/graph-client.ts';
import type { OAuthLinkRepository, UserRow } from './oauth-link.repository.ts';

/** A Threadline username from an Instagram one: same characters where allowed, at least 3, at most 64. */
export function usernameFromInstagram(igUsername: string): string {
  const cleaned = igUsername.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 56);
  return cleaned.length >= 3 ? cleaned : `ig_${cleaned}`.padEnd(3, '_');
}

/** The user a first "Continue with Instagram" creates: the Instagram username (made unique), no password. */
export async function createInstagramUser(links: OAuthLinkRepository, me: InstagramMe, tx: Db): Promise<UserRow> {
  const base = usernameFromInstagram(me.username);
  const candidates = [base, `${base}_ig`, ...[2, 3, 4, 5].map((n) => `${base}_ig${n}`)];
  let username: string | undefined;
  for (const candidate of candidates) {
    if (!(await links.usernameTaken(candidate, tx))) {
      username = candidate;
      break;
    }
  }
  username ??= `${base}_${randomBytes(3).toString('hex')}`;
  if (!USERNAME_PATTERN.test(username)) throw new Error('derived username does not match the pattern');
  return links.insertInstagramUser(username, me.userId, tx);
}
