import type { Clock } from './clock.ts';
import type { RateLimiter } from './platform/rate-limits.ts';
import type { SimState } from './state/store.ts';
import type { WebhookDispatcher } from './webhooks/dispatcher.ts';

/** What every route module of the simulator works with. */
export interface SimContext {
  state: SimState;
  clock: Clock;
  limiter: RateLimiter;
  webhooks: WebhookDispatcher;
}
