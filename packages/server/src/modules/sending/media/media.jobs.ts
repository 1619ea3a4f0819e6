import type { Queue } from '../../../jobs/queue.ts';
import type { MediaService } from './media.service.ts';

/** Mirroring retries with pg-boss's back-off on CDN outages; a media row still pending after a day is given up (see the retention job). */
export function defineMediaJobs(queue: Queue, media: MediaService, now: () => Date) {
  queue.define<Record<string, never>>({
    name: 'media.delete_unsent_uploads',
    schedule: '41 * * * *',
    queue: { retryLimit: 3, retryDelay: 60, expireInSeconds: 600 },
    handler: async () => {
      await media.deleteUnsentUploads(new Date(now().getTime() - 86_400_000));
    },
  });
  queue.define<{ mediaId: string }>({
    name: 'media.mirror',
    concurrency: 2,
    queue: { retryLimit: 6, retryDelay: 30, retryBackoff: true, expireInSeconds: 300 },
    handler: async ({ mediaId }) => media.mirror(mediaId),
  });
  queue.define<{ messageId: string }>({
    name: 'media.delete',
    queue: { retryLimit: 5, retryDelay: 30, retryBackoff: true, expireInSeconds: 120 },
    handler: async ({ messageId }) => media.deleteForMessage(messageId),
  });
}
