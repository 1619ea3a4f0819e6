import { z } from 'zod';
import { idParamsSchema } from '../common.ts';

/** Path parameters, one schema per shape: `:id` is the account, conversation or media the path names. */
export const accountParams = idParamsSchema;
export const conversationParams = idParamsSchema;
export const memberParams = idParamsSchema.extend({ userId: z.uuid() });
export const labelParams = idParamsSchema.extend({ labelId: z.uuid() });
export const cannedReplyParams = idParamsSchema.extend({ replyId: z.uuid() });
export const messageParams = idParamsSchema.extend({ messageId: z.uuid() });
export const noteParams = idParamsSchema.extend({ noteId: z.uuid() });
export const apiKeyParams = idParamsSchema.extend({ keyId: z.uuid() });
export const invitationParams = z.object({ invitationId: z.uuid() });
export const accountInvitationParams = idParamsSchema.extend({ invitationId: z.uuid() });
export const userParams = z.object({ userId: z.uuid() });
export const deliveryParams = idParamsSchema.extend({ deliveryId: z.string().min(1).max(64) });
export const webhookEventParams = z.object({ id: z.coerce.number().int().positive() });
