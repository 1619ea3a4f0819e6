import { z } from 'zod';
import { contactSchema } from './inbox.ts';
import { conversationLabelSchema } from './team.ts';

/** The link from a contact into the customer's CRM record, from a per-account template. */
export const CRM_RECORD_URL_VARIABLES = ['contact.igsid', 'contact.username'] as const;
const VARIABLE = /\{\{\s*([a-zA-Z0-9_.]+)\s*\}\}/g;

/**
 * The template filled for a contact, each value URL-encoded; null when it names the username and the contact has
 * none (a link to the wrong record is worse than no link).
 */
export function fillCrmRecordUrl(template: string, contact: { igsid: string; username: string | null }): string | null {
  let missing = false;
  const url = template.replace(VARIABLE, (whole, name: string) => {
    const value = name === 'contact.igsid' ? contact.igsid : name === 'contact.username' ? contact.username : whole;
    if (value === null) missing = true;
    return value === whole ? whole : encodeURIComponent(value ?? '');
  });
  return missing ? null : url;
}

export const crmRecordUrlTemplateSchema = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .superRefine((t, ctx) => {
    const unknown = [...t.matchAll(VARIABLE)].map((m) => m[1] ?? '').filter((v) => !(CRM_RECORD_URL_VARIABLES as readonly string[]).includes(v));
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown variable ${unknown.map((v) => `{{${v}}}`).join(', ')}; known: {{contact.igsid}}, {{contact.username}}` });
      return;
    }
    const sample = fillCrmRecordUrl(t, { igsid: '1234567890', username: 'sample.user' }) ?? '';
    let ok: boolean;
    try {
      const url = new URL(sample);
      ok = url.protocol === 'https:' || url.protocol === 'http:';
    } catch {
      ok = false;
    }
    if (!ok) ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL, such as https://crm.example.com/contacts?ig={{contact.igsid}}' });
  });

export const crmRecordLinkSchema = z.object({ template: z.string().nullable() });
export const setCrmRecordLinkRequestSchema = z.strictObject({ template: crmRecordUrlTemplateSchema.nullable() });

/** `GET /api/v1/ui/conversations/{id}/contact`: what the panel beside the thread shows. */
export const contactPanelSchema = z.object({
  contact: contactSchema.extend({
    is_business_follow_user: z.boolean().nullable(),
    is_verified_user: z.boolean().nullable(),
    /** when the contact first wrote to this account */
    first_contact_at: z.string(),
  }),
  /** the same username's conversations on the person's other accounts (an IGSID differs per account) */
  other_conversations: z.array(
    z.object({ id: z.string(), account_id: z.string(), account_username: z.string(), last_message_at: z.string().nullable(), last_message_preview: z.string().nullable() }),
  ),
  labels: z.array(conversationLabelSchema),
  /** the contact's record in the CRM, from the account's template; null without a template */
  crm_record_url: z.string().nullable(),
});
export type ContactPanel = z.infer<typeof contactPanelSchema>;
