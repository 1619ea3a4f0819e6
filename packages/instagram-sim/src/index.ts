import type { FastifyInstance } from 'fastify';
import { createClock } from './clock.ts';
import type { Clock, ClockOptions } from './clock.ts';
import type { SimContext } from './context.ts';
import { buildApp } from './app.ts';
import { createRateLimiter } from './platform/rate-limits.ts';
import { createState } from './state/store.ts';
import type { SimState } from './state/store.ts';
import { createWebhookDispatcher } from './webhooks/dispatcher.ts';
import type { WebhookDispatcher } from './webhooks/dispatcher.ts';

export interface SimulatorOptions {
  /** Mirror the state to this JSON file (loaded at start, written after changes and on close). */
  stateFile?: string | undefined;
  clock?: ClockOptions;
  /** Real-time interval at which due webhook redeliveries are attempted; 0 turns it off. Default 1000. */
  deliveryTickMs?: number;
  logger?: boolean;
  /** Host to listen on (default 127.0.0.1). */
  host?: string;
}

export interface Simulator {
  app: FastifyInstance;
  state: SimState;
  clock: Clock;
  webhooks: WebhookDispatcher;
  /** Starts listening (port 0 = any free port) and returns the base URL, e.g. `http://127.0.0.1:8010`. */
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
}

/** Builds the Instagram platform simulator in-process, for `main.ts` and for tests. */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const clock = createClock(options.clock);
  const state = createState({ stateFile: options.stateFile });
  const webhooks = createWebhookDispatcher({ state, clock });
  const ctx: SimContext = { state, clock, limiter: createRateLimiter(clock), webhooks };
  const app = buildApp(ctx, { logger: options.logger ?? false });
  return {
    app,
    state,
    clock,
    webhooks,
    async listen(port = 0) {
      await app.listen({ port, host: options.host ?? '127.0.0.1' });
      webhooks.start(options.deliveryTickMs ?? 1000);
      const address = app.server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
      return `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
    },
    async close() {
      webhooks.stop();
      await webhooks.settle();
      await app.close();
      state.save();
    },
  };
}

export { SimClient } from './client.ts';
export type { SimContext } from './context.ts';
export type * from './state/schema.ts';
export type { Variants, VariantsPatch } from './variants.ts';
