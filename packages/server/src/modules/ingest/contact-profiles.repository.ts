import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { contacts } from '../../db/schema/index.ts';

export type ContactRow = typeof contacts.$inferSelect;

/** The profile columns of contacts, filled in the background from Meta (profile-fetch.ts). */
export function createContactProfilesRepository(db: Db) {
  return {
    async find(contactId: string, tx: Db = db): Promise<ContactRow | undefined> {
      const [row] = await tx.select().from(contacts).where(eq(contacts.id, contactId));
      return row;
    },
    /** The profile as fetched, with no error. */
    async setProfile(
      contactId: string,
      profile: Pick<ContactRow, 'name' | 'username' | 'profilePicUrl' | 'followerCount' | 'isUserFollowBusiness' | 'isBusinessFollowUser' | 'isVerifiedUser'>,
      tx: Db = db,
    ): Promise<void> {
      await tx
        .update(contacts)
        .set({ ...profile, profileFetchedAt: new Date(), profileFetchError: null, updatedAt: new Date() })
        .where(eq(contacts.id, contactId));
    },
    /** Why the profile could not be fetched. */
    async setError(contactId: string, error: string, tx: Db = db): Promise<void> {
      await tx.update(contacts).set({ profileFetchError: error, updatedAt: new Date() }).where(eq(contacts.id, contactId));
    },
  };
}
