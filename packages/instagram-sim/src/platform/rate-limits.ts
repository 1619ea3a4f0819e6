import type { Clock } from '../clock.ts';

export type RateBucket = 'text' | 'media' | 'conversations';

export interface RateCheck {
  allowed: boolean;
  count: number;
  limit: number;
}

/**
 * Per account, per second call counters on the simulated clock (§6). A frozen clock holds the window still, so a
 * test can make limit + 1 calls and see the last one throttled.
 */
export interface RateLimiter {
  take(accountId: string, bucket: RateBucket, limit: number): RateCheck;
  reset(): void;
}

export function createRateLimiter(clock: Clock): RateLimiter {
  const windows = new Map<string, { second: number; count: number }>();
  return {
    take(accountId, bucket, limit) {
      const second = Math.floor(clock.now() / 1000);
      const key = `${accountId}:${bucket}`;
      const current = windows.get(key);
      const entry = current && current.second === second ? current : { second, count: 0 };
      windows.set(key, entry);
      if (entry.count >= limit) return { allowed: false, count: entry.count, limit };
      entry.count += 1;
      return { allowed: true, count: entry.count, limit };
    },
    reset: () => windows.clear(),
  };
}

/** `X-App-Usage` and `X-Business-Use-Case-Usage` values, percentages of the current window (§6). */
export function usageHeaders(accountId: string, check: RateCheck): Record<string, string> {
  const percent = Math.min(100, Math.round((check.count / check.limit) * 100));
  const throttled = !check.allowed;
  return {
    'x-app-usage': JSON.stringify({ call_count: percent, total_cputime: 0, total_time: percent }),
    'x-business-use-case-usage': JSON.stringify({
      [accountId]: [
        {
          type: 'instagram',
          call_count: throttled ? 100 : percent,
          total_cputime: 0,
          total_time: percent,
          estimated_time_to_regain_access: throttled ? 1 : 0,
        },
      ],
    }),
  };
}
