import { z } from 'zod';

/** Bodies of the Facebook part of the control API (`/_sim/facebook/…`). */

export const createFacebookUserSchema = z.object({ id: z.string().regex(/^\d+$/).optional(), name: z.string().min(1).optional() });
export type CreateFacebookUserInput = z.input<typeof createFacebookUserSchema>;

export const createPageSchema = z.object({
  id: z.string().regex(/^\d+$/).optional(),
  name: z.string().min(1).optional(),
  /** Facebook user ids who manage the Page. */
  managers: z.array(z.string()).default([]),
  /** The Instagram professional account (IG_ID) linked to the Page; null or absent: none. */
  igAccountId: z.string().nullable().default(null),
});
export type CreatePageInput = z.input<typeof createPageSchema>;

export const updatePageSchema = z.object({
  name: z.string().min(1).optional(),
  managers: z.array(z.string()).optional(),
  igAccountId: z.string().nullable().optional(),
});
export type UpdatePageInput = z.input<typeof updatePageSchema>;

export const revokeFacebookSchema = z.object({ subcode: z.number().int().default(460), appId: z.string().optional() });
export type RevokeFacebookInput = z.input<typeof revokeFacebookSchema>;

/** A Page token without the Login dance (the old single-account setup, or a test that is not about Login). */
export const issuePageTokenSchema = z.object({
  appId: z.string(),
  userId: z.string(),
  pageId: z.string(),
  /** Granted to the app by the person; default: the default Threadline permissions. */
  permissions: z.array(z.string()).optional(),
});
export type IssuePageTokenInput = z.input<typeof issuePageTokenSchema>;

export const pageSubscribeSchema = z.object({
  appId: z.string(),
  pageId: z.string(),
  fields: z.array(z.string()).default(['messages', 'messaging_postbacks', 'messaging_seen', 'message_reactions', 'messaging_referral']),
});
export type PageSubscribeInput = z.input<typeof pageSubscribeSchema>;
