import type { Queue } from '../../jobs/queue.ts';
import type { RealtimeLog } from './realtime-log.ts';

/** Live-update rows only serve reconnecting clients: an hour of them is plenty. */
export function defineRealtimeJobs(queue: Queue, log: RealtimeLog, now: () => Date) {
  queue.define<Record<string, never>>({
    name: 'realtime.prune',
    schedule: '*/10 * * * *',
    queue: { retryLimit: 1, expireInSeconds: 300 },
    handler: async () => log.prune(new Date(now().getTime() - 3_600_000)),
  });
}
