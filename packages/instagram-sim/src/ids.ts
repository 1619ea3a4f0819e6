import { createHash, randomBytes, randomInt } from 'node:crypto';

/** Generators for ids and secrets that look like Meta's (numeric strings, base64-ish message ids). */

function digits(count: number): string {
  let out = '';
  for (let i = 0; i < count; i += 1) out += String(randomInt(0, 10));
  return out;
}

/** IG professional account id (IG_ID): 17 digits starting 17841, like Meta's. */
export const newIgId = (): string => `17841${digits(12)}`;
/** Instagram-scoped id of a customer (IGSID). */
export const newIgsid = (): string => `${randomInt(1, 10)}${digits(15)}`;
/** An Instagram App ID. */
export const newAppId = (): string => `${randomInt(1, 10)}${digits(15)}`;
/** A simulated Instagram user (the person who logs in). */
export const newIgUserId = (): string => `${randomInt(1, 10)}${digits(10)}`;
export const newMediaId = (): string => `18${digits(15)}`;
export const newCommentId = (): string => `17${digits(15)}`;
export const newSecret = (): string => randomBytes(16).toString('hex');
export const newFbTraceId = (): string => randomBytes(8).toString('base64url').slice(0, 11);
export const newOpaqueId = (prefix: string): string => `${prefix}_${randomBytes(8).toString('hex')}`;

export const newAccessToken = (): string => `IGAA${randomBytes(96).toString('base64url')}`;
export const newAuthCode = (): string => `AQ${randomBytes(48).toString('base64url')}`;

/** Message ids look like base64 of "ig_item:1:IGMessageID:…". */
export const newMid = (): string =>
  `aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOj${randomBytes(36).toString('base64url')}`;
export const newConversationId = (): string =>
  `aWdfZAG06MTpJR01lc3NhZA2VUaHJlYWQ6${randomBytes(24).toString('base64url')}`;

/** The app-scoped id of an account for an app (`/me.id`): stable, and different from the IG_ID. */
export function appScopedId(appId: string, igId: string): string {
  const hash = createHash('sha256').update(`${appId}:${igId}`).digest();
  let out = '2';
  for (let i = 0; out.length < 17; i += 1) out += String((hash[i % hash.length] ?? 0) % 10);
  return out;
}
