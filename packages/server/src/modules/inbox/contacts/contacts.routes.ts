import { z } from 'zod';
import { contactPanelSchema, crmRecordLinkSchema, setCrmRecordLinkRequestSchema } from '@threadline/contract';
import type { App } from '../../../http/server.ts';
import { requireSession } from '../../auth/auth.plugin.ts';
import type { ContactPanelService } from './contact-panel.service.ts';

const accountParams = z.object({ id: z.uuid() });

/** The contact panel of a conversation, and the account's CRM record link (session auth). */
export async function contactsRoutes(app: App, opts: { contacts: ContactPanelService }) {
  const { contacts } = opts;
  const config = { auth: 'session' as const };
  app.get(
    '/api/v1/ui/conversations/:id/contact',
    { config, schema: { params: z.object({ id: z.uuid() }), response: { 200: contactPanelSchema } } },
    async (req) => contacts.panel(requireSession(req), req.params.id),
  );
  app.get(
    '/api/v1/accounts/:id/crm-record-link',
    { config, schema: { params: accountParams, response: { 200: crmRecordLinkSchema } } },
    async (req) => contacts.recordLink(requireSession(req).userId, req.params.id),
  );
  app.put(
    '/api/v1/accounts/:id/crm-record-link',
    { config, schema: { params: accountParams, body: setCrmRecordLinkRequestSchema, response: { 200: crmRecordLinkSchema } } },
    async (req) => contacts.setRecordLink(requireSession(req).userId, req.params.id, req.body.template, { ip: req.ip, requestId: req.id }),
  );
}
