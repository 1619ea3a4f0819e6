import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SimContext } from '../context.ts';
import { ControlError } from '../platform/errors.ts';
import { createFault } from '../platform/faults.ts';
import { applyVariantsPatch, variantsPatchSchema } from '../variants.ts';
import { clockSchema, webhookModePatchSchema } from './schemas.ts';

const HOUR = 3_600_000;

/** Control API: clock, faults, variants, webhook delivery controls, what the app sent, reset. */
export function registerSystemRoutes(app: FastifyInstance, ctx: SimContext): void {
  const { state, clock, webhooks, limiter } = ctx;
  const clockView = () => ({ now: clock.now(), iso: new Date(clock.now()).toISOString(), frozen: clock.isFrozen() });

  app.get('/_sim/health', async () => ({ ok: true }));

  app.get('/_sim/clock', async () => clockView());
  /** Moves simulated time forward and runs the webhook redeliveries that became due. */
  app.post('/_sim/clock/advance', async (request) => {
    const input = clockSchema.parse(request.body ?? {});
    const ms =
      (input.advanceMs ?? 0) + (input.advanceSeconds ?? 0) * 1000 + (input.advanceHours ?? 0) * HOUR + (input.advanceDays ?? 0) * 24 * HOUR;
    clock.advance(ms);
    await webhooks.processDue();
    await webhooks.settle();
    return clockView();
  });
  app.put('/_sim/clock', async (request) => {
    const input = clockSchema.parse(request.body ?? {});
    if (input.set !== undefined) clock.set(input.set);
    if (input.frozen === true) clock.freeze();
    if (input.frozen === false) clock.unfreeze();
    await webhooks.processDue();
    await webhooks.settle();
    return clockView();
  });

  app.post('/_sim/faults', async (request, reply) => reply.code(201).send(createFault(state, request.body)));
  app.get('/_sim/faults', async () => state.data.faults);
  app.delete('/_sim/faults', async () => {
    state.data.faults = [];
    return { cleared: true };
  });
  app.delete('/_sim/faults/:id', async (request) => {
    const { id } = z.object({ id: z.string() }).parse(request.params);
    state.data.faults = state.data.faults.filter((f) => f.id !== id);
    return { cleared: true };
  });

  app.get('/_sim/variants', async () => state.data.variants);
  app.patch('/_sim/variants', async (request) => {
    state.data.variants = applyVariantsPatch(state.data.variants, variantsPatchSchema.parse(request.body ?? {}));
    return state.data.variants;
  });

  app.get('/_sim/webhooks/mode', async () => state.data.webhookMode);
  app.patch('/_sim/webhooks/mode', async (request) => {
    const patch = webhookModePatchSchema.parse(request.body ?? {});
    state.data.webhookMode = { ...state.data.webhookMode, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
    return state.data.webhookMode;
  });
  /** Releases held events and attempts every pending delivery now, whatever its back-off says. */
  app.post('/_sim/webhooks/flush', async () => webhooks.flush());
  app.get('/_sim/webhooks/held', async () => state.data.heldEvents);
  app.get('/_sim/webhooks/deliveries', async (request) => {
    const { appId, status } = z.object({ appId: z.string().optional(), status: z.string().optional() }).parse(request.query);
    return state.data.deliveries.filter((d) => (!appId || d.appId === appId) && (!status || d.status === status));
  });
  app.get('/_sim/webhooks/attempts', async (request) => {
    const { deliveryId, appId } = z.object({ deliveryId: z.string().optional(), appId: z.string().optional() }).parse(request.query);
    const deliveriesOfApp = appId ? new Set(state.data.deliveries.filter((d) => d.appId === appId).map((d) => d.id)) : null;
    return state.data.attempts.filter(
      (a) =>
        (!deliveryId || a.deliveryId === deliveryId) &&
        (!deliveriesOfApp || deliveriesOfApp.has(a.deliveryId) || a.deliveryId === `verification:${appId}`),
    );
  });

  /** What apps sent through the Send API (messages and sender actions), oldest first. */
  app.get('/_sim/outbox', async (request) => {
    const q = z.object({ accountId: z.string().optional(), recipientId: z.string().optional(), appId: z.string().optional() }).parse(request.query);
    return state.data.outbox.filter(
      (o) => (!q.accountId || o.accountId === q.accountId) && (!q.recipientId || o.recipientId === q.recipientId) && (!q.appId || o.appId === q.appId),
    );
  });
  app.get('/_sim/conversations', async (request) => {
    const { accountId } = z.object({ accountId: z.string().optional() }).parse(request.query);
    return state.data.conversations
      .filter((c) => !accountId || c.accountId === accountId)
      .map((c) => ({ ...c, messages: state.messagesOf(c.id) }));
  });
  app.get('/_sim/state', async () => state.data);

  // Without this, `/_sim/x` would fall through to the Graph node route `/:version/:id`.
  app.all('/_sim/*', async (request) => {
    throw new ControlError(404, 'sim.not_found', `No control route ${request.method} ${request.url.split('?')[0]}`);
  });

  app.post('/_sim/reset', async () => {
    await webhooks.settle();
    state.reset();
    limiter.reset();
    clock.reset();
    return { reset: true };
  });
}
