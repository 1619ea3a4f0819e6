import { clientAddressKey } from '../../shared/net/ip-address.ts';
import type { LoginThrottleSettings } from '../../config/login-throttle-settings.ts';
import type { CounterRule, RateCountersRepository } from './rate-counters.repository.ts';
import { authErrors } from './auth.errors.ts';

export type { LoginThrottleSettings };

/** A reserved attempt: counted as a failure unless `succeeded()` gives it back. */
export type ThrottledAttempt = { succeeded(): Promise<void> };

/**
 * Password attempts counted in the database, so every process shares one count, and reserved *before* the
 * password is hashed: each attempt takes its turn in one statement (rate-counters.repository.ts), so parallel
 * guesses cannot all slip through while the first is still being verified.
 *
 * Three counts. Per (username, address): a progressive delay once the failures pass the limit, so a guesser
 * locks out only themselves. Per address: a ceiling across usernames (password spraying). Per username: a
 * higher ceiling over a short window, so guesses from many addresses stay bounded while nobody can keep a known
 * user locked out for long. A refused attempt is not counted against the other two.
 */
export function createLoginThrottle(repo: Pick<RateCountersRepository, 'reserve' | 'release' | 'clear'>, settings: LoginThrottleSettings, now: () => Date = () => new Date()) {
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

  };
}
export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
