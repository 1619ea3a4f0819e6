import { z } from 'zod';
import { MESSAGE_TEXT_MAX_BYTES, utf8Bytes } from './inbox.ts';

/** Labels of an account, set on its conversations; a conversation carries at most this many. */
export const LABELS_PER_CONVERSATION_MAX = 20;
export const LABELS_PER_ACCOUNT_MAX = 200;
export const LABEL_NAME_MAX = 40;

export const labelColorSchema = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1d4ed8').transform((c) => c.toLowerCase());

/** What a conversation shows of each of its labels. */
export const conversationLabelSchema = z.object({ id: z.string(), name: z.string(), color: z.string() });
export type ConversationLabel = z.infer<typeof conversationLabelSchema>;

export const labelSchema = conversationLabelSchema.extend({ account_id: z.string(), created_at: z.string() });
export type Label = z.infer<typeof labelSchema>;
export const labelListSchema = z.object({ labels: z.array(labelSchema) });

export const createLabelRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(LABEL_NAME_MAX),
  color: labelColorSchema,
});
export const updateLabelRequestSchema = z
  .strictObject({ name: z.string().trim().min(1).max(LABEL_NAME_MAX).optional(), color: labelColorSchema.optional() })
  .refine((b) => b.name !== undefined || b.color !== undefined, 'send a name or a colour');

/** `PUT …/conversations/{id}/labels`: the whole set, replacing what was there. */
export const setConversationLabelsRequestSchema = z.strictObject({
  label_ids: z.array(z.uuid()).max(LABELS_PER_CONVERSATION_MAX),
});

/** Canned replies: a shortcut the composer's `/` picker finds, and a text with variables filled in before sending. */
export const CANNED_REPLY_VARIABLES = ['contact.name', 'contact.username', 'agent.name'] as const;
export type CannedReplyVariable = (typeof CANNED_REPLY_VARIABLES)[number];
export const CANNED_REPLIES_PER_ACCOUNT_MAX = 500;
const VARIABLE = /\{\{\s*([a-zA-Z0-9_.]+)\s*\}\}/g;

/** The variables a template names that Threadline does not know (empty when all are known). */
export function unknownCannedVariables(text: string): string[] {
  const known = new Set<string>(CANNED_REPLY_VARIABLES);
  return [...new Set([...text.matchAll(VARIABLE)].map((m) => m[1] ?? '').filter((v) => !known.has(v)))];
}

/** Fills `{{contact.name}}`, `{{contact.username}}`, `{{agent.name}}`; a missing value becomes an empty string. */
export function fillCannedReply(text: string, values: Record<CannedReplyVariable, string | null>): string {
  return text.replace(VARIABLE, (whole, name: string) => ((CANNED_REPLY_VARIABLES as readonly string[]).includes(name) ? (values[name as CannedReplyVariable] ?? '') : whole));
}

const cannedText = z.string().superRefine((t, ctx) => {
  if (t.trim().length === 0) ctx.addIssue({ code: 'custom', message: 'text is empty' });
  const bytes = utf8Bytes(t);
  if (bytes > MESSAGE_TEXT_MAX_BYTES) ctx.addIssue({ code: 'custom', message: `text is ${bytes} bytes; at most ${MESSAGE_TEXT_MAX_BYTES} bytes (UTF-8)` });
  const unknown = unknownCannedVariables(t);
  if (unknown.length > 0) {
    const known = CANNED_REPLY_VARIABLES.map((v) => `{{${v}}}`).join(', ');
    ctx.addIssue({ code: 'custom', message: `unknown variable ${unknown.map((v) => `{{${v}}}`).join(', ')}; known: ${known}` });
  }
});
const shortcut = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/i, 'a shortcut is 1–32 letters, digits, - or _')
  .transform((s) => s.toLowerCase());

export const cannedReplySchema = z.object({
  id: z.string(),
  account_id: z.string(),
  shortcut: z.string(),
  text: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type CannedReply = z.infer<typeof cannedReplySchema>;
export const cannedReplyListSchema = z.object({ canned_replies: z.array(cannedReplySchema) });
export const createCannedReplyRequestSchema = z.strictObject({ shortcut, text: cannedText });
export const updateCannedReplyRequestSchema = z
  .strictObject({ shortcut: shortcut.optional(), text: cannedText.optional() })
  .refine((b) => b.shortcut !== undefined || b.text !== undefined, 'send a shortcut or a text');

/** `POST /api/v1/ui/conversations/{id}/canned-replies/{replyId}/fill`: the text ready to send in that conversation. */
export const filledCannedReplySchema = z.object({ text: z.string(), bytes: z.number().int() });
