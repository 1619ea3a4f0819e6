import { INSTAGRAM_READABLE_RECENT_MESSAGES } from '@threadline/contract';
import type { SimContext } from '../context.ts';
import { graphError, invalidParameter } from '../platform/errors.ts';
import type { SimConversation, SimMessage } from '../state/schema.ts';
import { pageOf } from './paging.ts';
import type { FieldSpec, GraphCall } from './request.ts';
import { graphTime, nonexistingField, parseFields } from './request.ts';

/** Conversations API views (§5): list, one conversation with its messages, one message in detail. */

function party(ctx: SimContext, id: string): { username: string; id: string } {
  const account = ctx.state.account(id);
  if (account) return { username: account.username, id };
  return { username: ctx.state.customer(id)?.username ?? '', id };
}

function attachmentsOf(message: SimMessage): Record<string, unknown> {
  const data = message.attachments.map((a) => {
    const url = typeof a.payload?.['url'] === 'string' ? a.payload['url'] : undefined;
    if (a.type === 'image' && url) return { image_data: { url, preview_url: url } };
    if (a.type === 'video' && url) return { video_data: { url, preview_url: url } };
    return url ? { file_url: url } : { type: a.type };
  });
  return { data };
}

function messageFields(ctx: SimContext, message: SimMessage, fields: FieldSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = { id: message.mid };
  for (const { name } of fields) {
    if (name === 'id') continue;
    else if (name === 'created_time') out[name] = graphTime(message.createdAt);
    else if (name === 'from') out[name] = party(ctx, message.senderId);
    else if (name === 'to') out[name] = { data: [party(ctx, message.recipientId)] };
    else if (name === 'message') out[name] = message.text ?? '';
    else if (name === 'is_unsupported') out[name] = message.isUnsupported;
    else if (name === 'attachments') out[name] = attachmentsOf(message);
    else nonexistingField(name, 'Message');
  }
  return out;
}

function messagesEdge(ctx: SimContext, conversation: SimConversation, spec: FieldSpec, params: Record<string, unknown>, url: string) {
  const messages = ctx.state.messagesOf(conversation.id).filter((m) => !m.deleted);
  const fields = spec.fields ?? [{ name: 'created_time' }, { name: 'is_unsupported' }];
  const limit = spec.limit === undefined ? params : { ...params, limit: spec.limit };
  const page = pageOf(messages, (m) => m.mid, limit, url);
  return { data: page.items.map((m) => messageFields(ctx, m, fields)), ...(page.paging ? { paging: page.paging } : {}) };
}

function conversationFields(ctx: SimContext, c: SimConversation, fields: FieldSpec[], params: Record<string, unknown>, url: string) {
  const out: Record<string, unknown> = { id: c.id };
  for (const spec of fields) {
    if (spec.name === 'id') continue;
    else if (spec.name === 'updated_time') out['updated_time'] = graphTime(c.updatedAt);
    else if (spec.name === 'participants') out['participants'] = { data: [party(ctx, c.accountId), party(ctx, c.customerId)] };
    else if (spec.name === 'messages') out['messages'] = messagesEdge(ctx, c, spec, params, url);
    else nonexistingField(spec.name, 'Conversation');
  }
  return out;
}

export function conversationListView(ctx: SimContext, call: GraphCall, url: string) {
  const platform = call.params['platform'];
  if (platform !== undefined && platform !== 'instagram') throw invalidParameter('Param platform must be one of {instagram}');
  const userId = call.params['user_id'];
  const conversations = ctx.state.data.conversations
    .filter((c) => c.accountId === call.account.igId)
    .filter((c) => userId === undefined || c.customerId === userId)
    .sort((a, b) => b.updatedAt - a.updatedAt);
  const fields = parseFields(call.params['fields']) ?? [{ name: 'id' }, { name: 'updated_time' }];
  const page = pageOf(conversations, (c) => c.id, call.params, url);
  const data = page.items.map((c) => conversationFields(ctx, c, fields, {}, url));
  return { data, ...(page.paging ? { paging: page.paging } : {}) };
}

export function conversationView(ctx: SimContext, call: GraphCall, conversation: SimConversation, url: string) {
  const fields = parseFields(call.params['fields']) ?? [{ name: 'id' }];
  return conversationFields(ctx, conversation, fields, call.params, url);
}

/** Only the 20 most recent messages of a conversation can be read in detail (§5). */
export function messageView(ctx: SimContext, call: GraphCall, message: SimMessage) {
  const recent = ctx.state.messagesOf(message.conversationId).slice(0, INSTAGRAM_READABLE_RECENT_MESSAGES);
  if (message.deleted || !recent.some((m) => m.mid === message.mid)) throw graphError('messageDeleted');
  const fields = parseFields(call.params['fields']) ?? [{ name: 'id' }, { name: 'created_time' }];
  return messageFields(ctx, message, fields);
}
