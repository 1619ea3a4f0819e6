import { INSTAGRAM_WEBHOOK_FIELD_ALIASES, INSTAGRAM_WEBHOOK_FIELDS } from '@threadline/contract';
import type { SimContext } from '../context.ts';
import { invalidParameter } from '../platform/errors.ts';
import type { GraphCall } from './request.ts';

/** `/{IG_ID|me}/subscribed_apps`: POST enables webhooks for the account, GET lists, DELETE stops them (§3.4). */

export function parseSubscribedFields(ctx: SimContext, raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [];
  const names = list.map((f) => String(f).trim()).filter((f) => f.length > 0);
  if (names.length === 0) throw invalidParameter('The parameter subscribed_fields is required');
  const known: readonly string[] = INSTAGRAM_WEBHOOK_FIELDS;
  const out = names.map((name, i) => {
    const alias = ctx.state.data.variants.acceptFieldAliases ? INSTAGRAM_WEBHOOK_FIELD_ALIASES[name] : undefined;
    const field = alias ?? name;
    if (!known.includes(field))
      throw invalidParameter(`Param subscribed_fields[${i}] must be one of {${INSTAGRAM_WEBHOOK_FIELDS.join(', ')}} - got "${name}"`);
    return field;
  });
  return [...new Set(out)];
}

export function subscribe(ctx: SimContext, call: GraphCall): { success: true } {
  const fields = parseSubscribedFields(ctx, call.params['subscribed_fields']);
  const { state, clock } = ctx;
  const existing = state.data.subscriptions.find((s) => s.appId === call.token.appId && s.accountId === call.account.igId);
  if (existing) existing.fields = fields;
  else state.data.subscriptions.push({ appId: call.token.appId, accountId: call.account.igId, fields, createdAt: clock.now() });
  return { success: true };
}

export function listSubscriptions(ctx: SimContext, call: GraphCall) {
  const data = ctx.state.data.subscriptions
    .filter((s) => s.accountId === call.account.igId && s.appId === call.token.appId)
    .map((s) => ({ id: s.appId, name: ctx.state.app(s.appId)?.name ?? '', subscribed_fields: s.fields }));
  return { data };
}

export function unsubscribe(ctx: SimContext, call: GraphCall): { success: true } {
  ctx.state.data.subscriptions = ctx.state.data.subscriptions.filter(
    (s) => !(s.accountId === call.account.igId && s.appId === call.token.appId),
  );
  return { success: true };
}
