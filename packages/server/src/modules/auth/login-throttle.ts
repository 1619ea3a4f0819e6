import { clientAddressKey } from '../../shared/net/ip-address.ts';
import type { LoginThrottleSettings } from '../../config/login-throttle-settings.ts';
import type { CounterRule, LoginThrottleRepository } from './login-throttle.repository.ts';
import { authErrors } from './auth.errors.ts';

/** A reserved attempt: counted as a failure unless `succeeded()` gives it back. */
export type ThrottledAttempt = { succeeded(): Promise<void> };

/**
 * Password attempts counted in the database, so every process shares one count, and reserved *before* the
 * password is hashed: each attempt takes its turn in one statement (login-throttle.repository.ts), so parallel
 * guesses cannot all slip through while the first is still being verified.
 *
 * Three counts. Per (username, address): a progressive delay once the failures pass the limit, so a guesser
 * locks out only themselves. Per address: a ceiling across usernames (password spraying). Per username: a
 * higher ceiling over a short window, so guesses from many addresses stay bounded while nobody can keep a known
 * user locked out for long. A refused attempt is not counted against the other two.
 */
export function createLoginThrottle(repo: LoginThrottleRepository, settings: LoginThrottleSettings, now: () => Date = () => new Date()) {
  function rulesFor(username: string, ip: string): CounterRule[] {
    const user = username.trim().toLowerCase();
    const address = clientAddressKey(ip);
    return [
      {
        key: `login:pair:${address}:${user}`,
        max: settings.maxFailuresPerUsername,
        windowSeconds: settings.windowSeconds,
        progressive: { baseSeconds: settings.lockoutBaseSeconds, maxSeconds: settings.lockoutMaxSeconds },
      },
      { key: `login:ip:${address}`, max: settings.maxFailuresPerIp, windowSeconds: settings.windowSeconds },
      { key: `login:user:${user}`, max: settings.usernameCeiling, windowSeconds: settings.usernameCeilingSeconds },
    ];
  }

  return {
    /** Reserves one password attempt for `username` from `ip`; throws 429 when any count is used up. */
    async reserve(username: string, ip: string): Promise<ThrottledAttempt> {
      const rules = rulesFor(username, ip);
      const at = now();
      const reserved: CounterRule[] = [];
      for (const rule of rules) {
        const outcome = await repo.reserve(rule, at);
        if (!outcome.allowed) {
          await repo.release(reserved);
          throw authErrors.tooManySignIns(outcome.retryAfterSeconds);
        }
        reserved.push(rule);
      }
      const [pair, ...shared] = rules;
      return {
        async succeeded() {
          if (pair) await repo.clear(pair.key);
          await repo.release(shared);
        },
      };
    },
    /** Only the address count, for work that costs a hash but names no user (first-run setup). */
    async reserveAddress(ip: string): Promise<ThrottledAttempt> {
      const rule: CounterRule = { key: `login:ip:${clientAddressKey(ip)}`, max: settings.maxFailuresPerIp, windowSeconds: settings.windowSeconds };
      const outcome = await repo.reserve(rule, now());
      if (!outcome.allowed) {
        throw authErrors.tooManyFromAddress(outcome.retryAfterSeconds);
      }
      return { succeeded: () => repo.release([rule]) };
    },
    /** Counts one search of a caller in a one-minute window; 429 `inbox.search_rate_limited` past `perMinute`. */
    async countSearch(callerKey: string, perMinute: number): Promise<void> {
      const outcome = await repo.reserve({ key: `search:${callerKey}`, max: perMinute, windowSeconds: 60 }, now());
      if (!outcome.allowed) {
        throw authErrors.tooManySearches(outcome.retryAfterSeconds);
      }
    },
    /** Counts one upload of an account in a one-minute window; 429 `uploads.rate_limited` past `perMinute`. */
    async countUpload(accountId: string, perMinute: number): Promise<void> {
      const outcome = await repo.reserve({ key: `upload:${accountId}`, max: perMinute, windowSeconds: 60 }, now());
      if (!outcome.allowed) {
        throw authErrors.tooManyUploads(outcome.retryAfterSeconds);
      }
    },
    /**
     * Drops counters that ran out a minute ago or more (also the send limiter's turns, see send-rate-limiter.ts: the
     * minute keeps another process's clock, a little behind this one's, from losing turns it still counts on).
     */
    async deleteExpired(): Promise<void> {
      await repo.deleteEnded(new Date(now().getTime() - 60_000));
    },
  };
}
export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
