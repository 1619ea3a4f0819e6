import { routes } from '@threadline/contract';
import { route } from '../../../http/route.ts';
import type { App } from '../../../http/server.ts';
import type { AccountAccess } from '../../accounts/account-access.ts';
import { requireSession } from '../../auth/auth.plugin.ts';
import type { MediaService } from './media.service.ts';
import { mediaErrors } from './media.errors.ts';

const INLINE = /^(image|video|audio)\//;

/** Mirrored media, for signed-in members of the account only; never rendered as a page of our origin. */
export async function mediaRoutes(app: App, opts: { media: MediaService; access: AccountAccess }) {
  route(app, routes.sending.ui.media, async (req, reply) => {
    const auth = requireSession(req);
    const row = await opts.media.find(req.params.id);
    if (!row) throw mediaErrors.notFound();
    await opts.access.requireRole(auth.userId, row.accountId, 'viewer');
    if (row.status !== 'stored' || !row.contentType) {
      throw mediaErrors.notStored(row.status === 'deleted');
    }
    const handle = await opts.media.open(row).catch(() => null);
    if (!handle) throw mediaErrors.notStored();
    const disposition = INLINE.test(row.contentType) ? 'inline' : 'attachment';
    return reply
      .header('content-type', row.contentType)
      .header('content-disposition', `${disposition}; filename="${row.id}"`)
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', 'private, max-age=86400')
      .header('content-length', String(row.sizeBytes ?? ''))
      .send(handle.createReadStream());
  });
}
