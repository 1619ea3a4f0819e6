import { describe, expect, it } from 'vitest';
import { bossQueueOptions } from './job.ts';
import { jobs } from './registry.ts';

/**
 * The queue options, worker settings and schedules every job had when jobs were declared where they were bound
 * (before the registry): a queue's options are applied to the existing queue at every start, so a change here
 * changes production's retries. Change this table only on purpose.
 */
const before: Record<string, { options: object; worker?: object; schedule?: string }> = {
  'messages.lookup_gave_up': { options: { retryLimit: 3, retryDelay: 30 } },
  'messages.lookup': {
    options: { retryLimit: 5, retryDelay: 30, retryBackoff: true, expireInSeconds: 120, deadLetter: 'messages.lookup_gave_up' },
    worker: { concurrency: 2 },
  },
  'messages.send': {
    options: { retryLimit: 3, retryDelay: 5, retryBackoff: true, expireInSeconds: 120 },
    worker: { concurrency: 4, batchSize: 25, pollingIntervalSeconds: 0.5, backstopSeconds: 2 },
  },
  'messages.sweep': { options: { retryLimit: 1, expireInSeconds: 300 }, schedule: '* * * * *' },
  'messages.reconcile': { options: { retryLimit: 0, expireInSeconds: 1800 }, schedule: '*/10 * * * *' },
  'media.mirror': { options: { retryLimit: 6, retryDelay: 30, retryBackoff: true, expireInSeconds: 300 }, worker: { concurrency: 2 } },
  'media.delete': { options: { retryLimit: 5, retryDelay: 30, retryBackoff: true, expireInSeconds: 120 } },
  'media.delete_unsent_uploads': { options: { retryLimit: 3, retryDelay: 60, expireInSeconds: 600 }, schedule: '41 * * * *' },
  'contacts.fetch_profile': { options: { retryLimit: 5, retryDelay: 30, retryBackoff: true, expireInSeconds: 600 }, worker: { concurrency: 2 } },
  'conversations.wake_snoozed': {
    options: { retryLimit: 3, retryDelay: 5, expireInSeconds: 120 },
    worker: { pollingIntervalSeconds: 1, backstopSeconds: 1 },
    schedule: '* * * * *',
  },
  'accounts.refresh_tokens': { options: { retryLimit: 3, retryDelay: 300, expireInSeconds: 1800 }, schedule: '23 * * * *' },
  'accounts.sync_profiles': { options: { retryLimit: 3, retryDelay: 900, expireInSeconds: 1800 }, schedule: '41 4 * * *' },
  'accounts.detect_legacy_path': { options: { retryLimit: 8, retryDelay: 60, retryBackoff: true } },
  'auth.cleanup': { options: { retryLimit: 3, retryDelay: 60, expireInSeconds: 300 }, schedule: '17 * * * *' },
  'teammates.cleanup': { options: { retryLimit: 3, retryDelay: 60, expireInSeconds: 300 }, schedule: '23 * * * *' },
  'oauth.cleanup_states': { options: { retryLimit: 3, retryDelay: 60, expireInSeconds: 300 }, schedule: '11 * * * *' },
  'webhooks.prune': { options: { retryLimit: 3, retryDelay: 300, expireInSeconds: 1800 }, schedule: '23 3 * * *' },
  'realtime.prune': { options: { retryLimit: 1, expireInSeconds: 300 }, schedule: '*/10 * * * *' },
  'crm.retention': { options: { retryLimit: 3, retryDelay: 300, expireInSeconds: 600, deleteAfterSeconds: 7 * 86_400 }, schedule: '23 3 * * *' },
};

describe('the job registry', () => {
  const all = Object.values(jobs);

  it('names every job once', () => {
    expect(new Set(all.map((j) => j.name)).size).toBe(all.length);
  });

  it('keeps every job’s retry policy, worker settings and schedule as they were', () => {
    const now = Object.fromEntries(
      all.map((j) => [j.name, { options: bossQueueOptions(j.retry), ...(Object.keys(j.worker).length > 0 ? { worker: j.worker } : {}), ...(j.schedule ? { schedule: j.schedule } : {}) }]),
    );
    expect(now).toEqual(before);
  });

  it('names as a dead letter only a job of the registry', () => {
    const names = new Set(all.map((j) => j.name));
    for (const j of all) if (j.retry.deadLetter) expect(names.has(j.retry.deadLetter.name)).toBe(true);
  });
});
