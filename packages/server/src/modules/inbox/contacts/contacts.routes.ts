import { routes } from '@threadline/contract';
import { route } from '../../../http/route.ts';
import type { App } from '../../../http/server.ts';
import { requireSession } from '../../auth/auth.plugin.ts';
import type { ContactPanelService } from './contact-panel.service.ts';

/** The contact panel of a conversation, and the account's CRM record link (session auth). */
export async function contactsRoutes(app: App, opts: { contacts: ContactPanelService }) {
  const { contacts } = opts;
  route(app, routes.inbox.ui.contact, async (req) => contacts.panel(requireSession(req), req.params.id));
  route(app, routes.contacts.recordLink, async (req) => contacts.recordLink(requireSession(req).userId, req.params.id));
  route(app, routes.contacts.setRecordLink, async (req) =>
    contacts.setRecordLink(requireSession(req).userId, req.params.id, req.body.template, { ip: req.ip, requestId: req.id }),
  );
}
