import type { Queue } from '../../../jobs/queue.ts';
import type { MediaService } from './media.service.ts';
import { jobs } from '../../../jobs/registry.ts';

/** Mirroring retries with pg-boss's back-off on CDN outages; a media row still pending after a day is given up (see the retention job). */
export function defineMediaJobs(queue: Queue, media: MediaService, now: () => Date) {
  queue.handle(jobs.mediaDeleteUnsentUploads, async () => {
    await media.deleteUnsentUploads(new Date(now().getTime() - 86_400_000));
  });
  queue.handle(jobs.mediaMirror, async ({ mediaId }) => media.mirror(mediaId));
  queue.handle(jobs.mediaDelete, async ({ messageId }) => media.deleteForMessage(messageId));
}
