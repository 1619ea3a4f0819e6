import { routes, UPLOAD_TYPES } from '@threadline/contract';
import { route } from '../../../http/route.ts';
import type { App } from '../../../http/server.ts';
import type { InboxService } from '../../inbox/inbox.service.ts';
import { authOf } from '../../auth/auth.plugin.ts';
import type { MediaService } from './media.service.ts';
import type { UploadLinks } from './upload-links.ts';
import { mediaErrors } from './media.errors.ts';

/**
 * Files attached from the inbox (`POST /api/v1/ui/uploads`, the raw bytes with their Content-Type), and the signed
 * public URL Meta fetches them from when the message is sent.
 */
export async function uploadsRoutes(
  app: App,
  opts: {
    media: MediaService;
    inbox: InboxService;
    links: Pick<UploadLinks, 'verify'>;
    /** The account's upload rate and quota; throws 429 / 413 */
    checkUpload: (accountId: string, bytes: number) => Promise<void>;
  },
) {
  app.addContentTypeParser(Object.keys(UPLOAD_TYPES), { parseAs: 'buffer', bodyLimit: 25 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  route(app, routes.sending.ui.upload, async (req, reply) => {
    // `account_id`: the account of the conversation it is for (the "All accounts" inbox), else the session's account
    const accountId = await opts.inbox.accountOf(authOf(req), 'admin', req.query.account_id);
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const spec = UPLOAD_TYPES[contentType];
    if (!spec || !Buffer.isBuffer(req.body)) {
      throw mediaErrors.unsupportedType(contentType);
    }
    if (req.body.length === 0) throw mediaErrors.emptyUpload();
    if (req.body.length > spec.maxBytes) {
      throw mediaErrors.uploadTooLarge(spec.kind, spec.maxBytes);
    }
    await opts.checkUpload(accountId, req.body.length);
    const row = await opts.media.storeUpload(accountId, req.body, contentType);
    return reply.code(201).send({ upload_id: row.id, type: spec.kind, content_type: contentType, size_bytes: req.body.length, url: `/api/v1/media/${row.id}` });
  });

  route(app, routes.platform.mediaPublic, async (req, reply) => {
    const link = opts.links.verify(req.params.id, req.params.expires, req.params.signature);
    if (!link.ok) throw mediaErrors.notFound();
    const row = await opts.media.find(req.params.id);
    if (!row || row.source !== 'upload' || row.status !== 'stored' || !row.contentType) throw mediaErrors.notFound();
    const handle = await opts.media.open(row).catch(() => null);
    if (!handle) throw mediaErrors.notFound();
    return reply
      .header('content-type', row.contentType)
      .header('content-security-policy', "default-src 'none'; sandbox")
      // the customer's attachment: for Meta's fetch, not for shared caches, and not past the link's expiry
      .header('cache-control', `private, max-age=${Math.min(link.secondsLeft, 3600)}`)
      .send(handle.createReadStream());
  });
}
