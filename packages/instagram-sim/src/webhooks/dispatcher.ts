import {
  INSTAGRAM_WEBHOOK_MAX_BATCH,
  INSTAGRAM_WEBHOOK_RETRY_WINDOW_MS,
} from '@threadline/contract';
import type { InstagramWebhookField } from '@threadline/contract';
import type { Clock } from '../clock.ts';
import { newOpaqueId } from '../ids.ts';
import type { SimApp, SimDelivery, SimHeldEvent } from '../state/schema.ts';
import type { SimState } from '../state/store.ts';
import { pageSubscribersOf } from '../facebook/subscribers.ts';
import { serializeEnvelope } from './envelope.ts';
import { signatureHeaders, webhookSecretOf } from './signing.ts';

/**
 * Delay before the next attempt after the n-th failure: immediately, then less and less often, within 36 h (§3.3).
 * Cumulative: 0, 1 min, 6 min, 36 min, 2 h 36, 8 h 36, 20 h 36, 32 h 36; the next would pass 36 h, so it is dropped.
 */
export const RETRY_DELAYS_MS = [0, 60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 43_200_000, 43_200_000];

export interface FlushResult {
  released: number;
  attempted: number;
  delivered: number;
  failed: number;
}

export interface WebhookDispatcher {
  /**
   * Queues an event for every app subscribed to the account whose dashboard fields include `field`; `options` give
   * its delivery a shape of its own (§3.7: standby[], seconds, numeric ids).
   */
  emit(
    accountId: string,
    field: InstagramWebhookField,
    event: Record<string, unknown>,
    kind?: 'messaging' | 'changes',
    options?: Pick<SimHeldEvent, 'list' | 'format'>,
  ): string[];
  /** Attempts the deliveries that are due on the simulated clock. */
  processDue(): Promise<void>;
  /** Releases held events (batched, reversed, duplicated as the mode says) and attempts every pending delivery now. */
  flush(): Promise<FlushResult>;
  /** Resolves when no attempt is in flight. */
  settle(): Promise<void>;
  start(tickMs: number): void;
  stop(): void;
}

/** Echoes come with `messages` (`is_echo`), or `message_echoes` where an app subscribes to that field (§3.4). */
function appWants(app: SimApp, field: InstagramWebhookField): boolean {
  if (app.webhookFields.includes(field)) return true;
  return field === 'message_echoes' && app.webhookFields.includes('messages');
}

export function createWebhookDispatcher(deps: { state: SimState; clock: Clock }): WebhookDispatcher {
  const { state, clock } = deps;
  const inFlight = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | null = null;

  function newDelivery(app: SimApp, events: SimHeldEvent[]): SimDelivery[] {
    const webhook = app.webhook;
    if (!webhook) return [];
    const signedWith = events[0]?.signedWith;
    const body = serializeEnvelope(events, clock.now(), state.data.variants);
    const copies = state.data.webhookMode.duplicates ? 2 : 1;
    const created: SimDelivery[] = [];
    for (let i = 0; i < copies; i += 1) {
      const delivery: SimDelivery = {
        id: newOpaqueId('dlv'),
        appId: app.id,
        url: webhook.callbackUrl,
        body,
        eventCount: events.length,
        status: 'pending',
        attempts: 0,
        createdAt: clock.now(),
        nextAttemptAt: clock.now(),
        ...(signedWith ? { signedWith } : {}),
      };
      state.data.deliveries.push(delivery);
      created.push(delivery);
    }
    return created;
  }

  async function attempt(delivery: SimDelivery): Promise<boolean> {
    const app = state.app(delivery.appId);
    const at = clock.now();
    delivery.attempts += 1;
    const secret = app && (delivery.signedWith === 'meta' ? app.metaAppSecret : webhookSecretOf(app, state.data.variants));
    const headers = secret ? signatureHeaders(delivery.body, secret) : {};
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'facebookexternalua', ...headers },
        body: delivery.body,
        signal: AbortSignal.timeout(state.data.variants.webhookTimeoutMs),
      });
      status = response.status;
      await response.arrayBuffer();
      if (status < 200 || status > 299) error = `callback answered ${status}`;
    } catch (cause) {
      error = cause instanceof Error ? cause.message : 'request failed';
    }
    state.data.attempts.push({
      deliveryId: delivery.id,
      attempt: delivery.attempts,
      kind: 'event',
      at,
      url: delivery.url,
      status,
      ok: error === null,
      error,
      body: delivery.body,
      signature: headers['x-hub-signature-256'] ?? null,
    });
    return error === null;
  }

  /** One attempt, plus the immediate retry if it fails the first time; then the next one is scheduled. */
  async function run(delivery: SimDelivery): Promise<void> {
    for (;;) {
      if (await attempt(delivery)) {
        delivery.status = 'delivered';
        return;
      }
      const delay = RETRY_DELAYS_MS[delivery.attempts - 1];
      const next = clock.now() + (delay ?? Number.POSITIVE_INFINITY);
      if (delay === undefined || next - delivery.createdAt > INSTAGRAM_WEBHOOK_RETRY_WINDOW_MS) {
        delivery.status = 'dropped';
        return;
      }
      delivery.nextAttemptAt = next;
      if (next > clock.now()) return;
    }
  }

  function launch(delivery: SimDelivery): Promise<void> {
    const existing = inFlight.get(delivery.id);
    if (existing) return existing;
    const promise = run(delivery)
      .catch(() => undefined)
      .finally(() => {
        inFlight.delete(delivery.id);
        state.saveSoon();
      });
    inFlight.set(delivery.id, promise);
    return promise;
  }

  const pending = (): SimDelivery[] => state.data.deliveries.filter((d) => d.status === 'pending');

  const dispatcher: WebhookDispatcher = {
    emit(accountId, field, event, kind = 'messaging', options = {}) {
      const ids: string[] = [];
      const subscribers = [
        ...state.data.subscriptions.filter((s) => s.accountId === accountId).map((s) => ({ appId: s.appId, signedWith: undefined })),
        ...pageSubscribersOf(state, accountId).map((appId) => ({ appId, signedWith: 'meta' as const })),
      ];
      for (const sub of subscribers) {
        const app = state.app(sub.appId);
        if (!app || !app.webhook || !app.live || !appWants(app, field)) continue;
        const held: SimHeldEvent = {
          appId: app.id,
          accountId,
          kind,
          event,
          createdAt: clock.now(),
          ...options,
          ...(sub.signedWith ? { signedWith: sub.signedWith } : {}),
        };
        if (state.data.webhookMode.hold) {
          state.data.heldEvents.push(held);
          continue;
        }
        for (const delivery of newDelivery(app, [held])) {
          ids.push(delivery.id);
          void launch(delivery);
        }
      }
      return ids;
    },
    async processDue() {
      const now = clock.now();
      await Promise.all(pending().filter((d) => d.nextAttemptAt <= now).map(launch));
    },
    async flush() {
      const held = state.data.heldEvents;
      state.data.heldEvents = [];
      const ordered = state.data.webhookMode.reverse ? [...held].reverse() : held;
      for (const key of new Set(ordered.map((e) => `${e.appId}/${e.signedWith ?? ''}`))) {
        const events = ordered.filter((e) => `${e.appId}/${e.signedWith ?? ''}` === key);
        const app = state.app(events[0]?.appId ?? '');
        if (!app) continue;
        if (!state.data.webhookMode.batch) events.forEach((e) => newDelivery(app, [e]));
        else for (let i = 0; i < events.length; i += INSTAGRAM_WEBHOOK_MAX_BATCH)
          newDelivery(app, events.slice(i, i + INSTAGRAM_WEBHOOK_MAX_BATCH));
      }
      await dispatcher.settle();
      const targets = pending();
      const before = state.data.attempts.length;
      await Promise.all(targets.map(launch));
      const attempts = state.data.attempts.slice(before).filter((a) => a.kind === 'event');
      return {
        released: held.length,
        attempted: targets.length,
        delivered: targets.filter((d) => d.status === 'delivered').length,
        failed: attempts.filter((a) => !a.ok).length,
      };
    },
    async settle() {
      while (inFlight.size > 0) await Promise.all([...inFlight.values()]);
    },
    start(tickMs) {
      if (timer || tickMs <= 0) return;
      timer = setInterval(() => void dispatcher.processDue(), tickMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
  return dispatcher;
}
