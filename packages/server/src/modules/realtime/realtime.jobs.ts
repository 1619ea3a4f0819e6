import type { Queue } from '../../jobs/queue.ts';
import { jobs } from '../../jobs/registry.ts';
import type { RealtimeLog } from './realtime-log.ts';

/** Live-update rows only serve reconnecting clients: an hour of them is plenty. */
export function defineRealtimeJobs(queue: Queue, log: RealtimeLog, now: () => Date) {
  queue.handle(jobs.realtimePrune, async () => log.prune(new Date(now().getTime() - 3_600_000)));
}
