import fs from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../../../db/client.ts';
import { recordAll, type InboxUnitsOfWork } from '../../../events/inbox-events.ts';
import type { Queue } from '../../../jobs/queue.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { SafeHttpClient } from '../../../shared/net/safe-http.ts';
import { isOutboundError } from '../../../shared/net/outbound-errors.ts';
import { createMediaRepository, type MediaRow, type StoredAttachment } from './media.repository.ts';
import type { UploadsRepository } from './uploads.repository.ts';
import { jobs } from '../../../jobs/registry.ts';

/** Content types Threadline keeps a copy of; anything else keeps only Meta's original URL. */
const ALLOWED_TYPES = new Set([
  'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic', 'image/heif',
  'video/mp4', 'video/quicktime', 'video/webm', 'video/ogg', 'video/x-msvideo',
  'audio/aac', 'audio/mp4', 'audio/mpeg', 'audio/wav', 'audio/x-wav', 'audio/ogg', 'audio/x-m4a', 'audio/webm',
  'application/pdf',
]);

export type MediaSettings = { mirror: boolean; maxBytes: number; dir: string };

export class MediaFetchError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.retryable = retryable;
  }
}

/** Mirrors attachments out of Meta's expiring CDN into Threadline's own storage, and serves them back. */
export function createMediaService(deps: {
  db: Db;
  queue: Queue;
  http: SafeHttpClient;
  settings: MediaSettings;
  units: InboxUnitsOfWork;
  log: Logger;
  uploads: UploadsRepository;
}) {
  const { db, queue, http, settings, log, units } = deps;
  const repo = createMediaRepository(db);
  const filePath = (row: Pick<MediaRow, 'accountId' | 'id'>) => path.join(settings.dir, row.accountId, row.id);
  const { setState } = repo;

  return {
    /** In the ingest transaction: one pending row and one mirror job per attachment that has a URL. */
    async scheduleMirror(tx: Db, message: { id: string; accountId: string; attachments: StoredAttachment[] }) {
      if (!settings.mirror) return;
      for (const [index, attachment] of message.attachments.entries()) {
        if (!attachment.url) continue;
        const row = await repo.insertPendingMirror(message, index, attachment.url, tx);
        if (row) await queue.enqueueInTx(tx, jobs.mediaMirror, { mediaId: row.id });
      }
    },

    async scheduleDelete(tx: Db, message: { id: string }) {
      await queue.enqueueInTx(tx, jobs.mediaDelete, { messageId: message.id });
    },

    /** The job: fetch with the SSRF-safe client, check size and type, write the file. Idempotent. */
    async mirror(mediaId: string): Promise<void> {
      const row = await repo.find(mediaId);
      if (!row || row.status !== 'pending' || !row.originalUrl) return;
      let response;
      try {
        response = await http.request({ url: row.originalUrl, method: 'GET', timeoutMs: 60_000, maxResponseBytes: settings.maxBytes + 1 });
      } catch (error) {
        if (isOutboundError(error) && error.statusCode === 400) {
          await setState(row.id, { status: 'failed', error: error.message });
          return;
        }
        throw new MediaFetchError(error instanceof Error ? error.message : String(error), true);
      }
      if (response.status >= 500 || response.status === 429) throw new MediaFetchError(`CDN answered ${response.status}`, true);
      if (response.status !== 200) {
        await setState(row.id, { status: 'failed', error: `CDN answered ${response.status}` });
        return;
      }
      if (response.truncated || response.bodyBytes.length > settings.maxBytes) {
        await setState(row.id, { status: 'skipped', error: `larger than ${settings.maxBytes} bytes` });
        return;
      }
      const contentType = (response.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!ALLOWED_TYPES.has(contentType)) {
        await setState(row.id, { status: 'skipped', error: `content type "${contentType || 'none'}" is not kept` });
        return;
      }
      const target = filePath(row);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const temp = `${target}.${process.pid}.tmp`;
      await fs.writeFile(temp, response.bodyBytes, { mode: 0o600 });
      await fs.rename(temp, target);
      await setState(row.id, { status: 'stored', storageKey: path.relative(settings.dir, target), contentType, sizeBytes: response.bodyBytes.length, error: null });
      if (row.messageId) {
        // The inbox and the CRM learn that the attachment now has Threadline's own copy.
        const messageId = row.messageId;
        const conversationId = await repo.conversationOfMessage(messageId);
        if (conversationId) {
          await units.run((uow) =>
            recordAll(uow, [{ type: 'message.updated', accountId: row.accountId, conversationId, messageId, occurredAt: new Date() }]),
          );
        }
      }
      log.debug({ mediaId, bytes: response.bodyBytes.length }, 'media mirrored');
    },

    /** The job after an unsend: the files go, the rows stay as `deleted`. */
    async deleteForMessage(messageId: string): Promise<void> {
      const rows = await repo.forMessage(messageId);
      for (const row of rows) {
        await fs.rm(filePath(row), { force: true });
      }
      if (rows.length > 0) {
        await repo.markDeleted(rows.map((r) => r.id));
      }
    },

    /** A file uploaded from the inbox to be sent as an attachment: stored now, fetched by Meta from a signed URL. */
    async storeUpload(accountId: string, bytes: Buffer, contentType: string) {
      const row = await repo.insertUpload(accountId, contentType, bytes.length);
      if (!row) throw new Error('insert returned no row');
      const target = filePath(row);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, bytes, { mode: 0o600 });
      await setState(row.id, { status: 'stored', storageKey: path.relative(settings.dir, target) });
      return { ...row, status: 'stored' as const };
    },

    /** Deletes uploads no message used within a day (a file attached and then not sent), files and all. */
    async deleteUnsentUploads(before: Date): Promise<number> {
      let deleted = 0;
      for (;;) {
        const rows = await deps.uploads.unsentBefore(before, 100);
        for (const row of rows) await fs.rm(filePath(row), { force: true });
        await deps.uploads.markDeleted(rows.map((r) => r.id));
        deleted += rows.length;
        if (rows.length < 100) return deleted;
      }
    },

    async find(mediaId: string) {
      return repo.find(mediaId);
    },

    async forMessages(messageIds: string[]) {
      if (messageIds.length === 0) return [];
      return repo.forMessages(messageIds);
    },

    async open(row: MediaRow) {
      return fs.open(filePath(row), 'r');
    },
  };
}
export type MediaService = ReturnType<typeof createMediaService>;
