import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SimContext } from '../context.ts';
import { newMediaId } from '../ids.ts';
import { ensureConversation, recordMessage } from '../messaging/conversations.ts';
import { ControlError } from '../platform/errors.ts';
import type { SimHeldEvent, SimMessage } from '../state/schema.ts';
import { requireAccount, requireCustomer } from './entity-service.ts';
import { variantEventSchema, type REAL_TRAFFIC_VARIANTS } from './schemas.ts';

type Json = Record<string, unknown>;
type Variant = (typeof REAL_TRAFFIC_VARIANTS)[number];
type Emitted = { field: 'messages' | 'message_reactions' | 'messaging_seen'; event: Json; options?: Pick<SimHeldEvent, 'list' | 'format'>; times?: number };

const idParams = z.object({ id: z.string() });
const cdn = (name: string) => `https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=${name}`;

/** The attachments (as stored, and as the webhook carries them) of the message-creating variants (§3.7). */
function variantAttachments(variant: Variant): { stored: SimMessage['attachments']; unsupported: boolean } | null {
  const story = { story_media_id: newMediaId(), story_media_url: cdn('story') };
  const post = { ig_post_media_id: newMediaId(), title: 'Spring collection', url: cdn('post') };
  switch (variant) {
    case 'like_heart':
      return { stored: [{ type: 'like_heart' }], unsupported: false };
    case 'ig_story':
      return { stored: [{ type: 'ig_story', payload: story }], unsupported: false };
    case 'ig_post':
      return { stored: [{ type: 'ig_post', payload: post }], unsupported: false };
    case 'share_and_ig_post':
      return { stored: [{ type: 'share', payload: { url: post.url } }, { type: 'ig_post', payload: post }], unsupported: false };
    case 'ig_reel':
      return { stored: [{ type: 'ig_reel', payload: { reel_video_id: newMediaId(), title: 'New drop' } }], unsupported: false };
    case 'unsupported_attachment':
      return { stored: [{ type: 'unsupported_type', payload: { url: cdn('unsupported') } }], unsupported: true };
    case 'unsupported_flag':
      return { stored: [], unsupported: true };
    case 'timestamp_seconds':
    case 'numeric_ids':
    case 'standby':
      return { stored: [], unsupported: false };
    default:
      return null;
  }
}

/**
 * Control API: a customer does something that Meta delivers in one of the shapes of real traffic (§3.7), whatever
 * the `variants` setting says. Message-creating variants are stored like any message (so the message lookup
 * answers them); the others are about `mid` (a reaction may name a message the simulator never delivered).
 */
export function registerVariantRoutes(app: FastifyInstance, ctx: SimContext): void {
  const { state, clock, webhooks } = ctx;

  app.post('/_sim/customers/:id/variants', async (request) => {
    const input = variantEventSchema.parse(request.body);
    const customer = requireCustomer(ctx, idParams.parse(request.params).id);
    const account = requireAccount(ctx, input.to);
    const conversation = ensureConversation(state, clock, account.igId, customer.igsid);
    const now = clock.now();
    const inbound = { sender: { id: customer.igsid }, recipient: { id: account.igId }, timestamp: now };
    const known = () => {
      const message = input.mid ? state.message(input.mid) : undefined;
      if (!message || message.conversationId !== conversation.id) throw new ControlError(404, 'sim.message_not_found', `No message ${input.mid ?? '(none)'} in this thread`);
      return message;
    };

    const emitted: Emitted[] = [];
    let mid: string | null = null;
    const created = variantAttachments(input.variant);
    if (created) {
      const text = input.text ?? (created.stored.length === 0 && !created.unsupported ? 'Hello from a real-traffic variant' : undefined);
      const message = recordMessage(state, clock, { conversation, direction: 'inbound', source: 'customer', text, attachments: created.stored, isUnsupported: created.unsupported });
      mid = message.mid;
      const body: Json = { mid: message.mid, ...(text === undefined ? {} : { text }) };
      if (created.stored.length > 0) body['attachments'] = created.stored.map((a) => (a.payload ? { type: a.type, payload: a.payload } : { type: a.type }));
      if (input.variant === 'unsupported_flag') body['is_unsupported'] = true;
      const options: Emitted['options'] =
        input.variant === 'timestamp_seconds' ? { format: { timestampUnit: 'seconds', timestampFormat: 'string' } }
        : input.variant === 'numeric_ids' ? { format: { idFormat: 'number' } }
        : input.variant === 'standby' ? { list: 'standby' }
        : {};
      emitted.push({ field: 'messages', event: { ...inbound, message: body }, options });
    } else if (input.variant === 'unsend_string_flag') {
      const message = known();
      message.deleted = true;
      emitted.push({ field: 'messages', event: { ...inbound, message: { mid: message.mid, is_deleted: 'true' } } });
    } else if (input.variant === 'edit_without_text' || input.variant === 'edit_num_edit_string') {
      const message = known();
      message.text = input.text ?? `${message.text ?? ''} (edited)`;
      message.editCount += 1;
      const edit = input.variant === 'edit_without_text' ? { mid: message.mid, num_edit: message.editCount - 1 } : { mid: message.mid, text: message.text, num_edit: String(message.editCount) };
      emitted.push({ field: 'messages', event: { ...inbound, message_edit: edit } });
    } else if (input.variant === 'reaction_emoji_only') {
      if (!input.mid) throw new ControlError(400, 'sim.invalid_request', 'a reaction needs the mid it is about');
      emitted.push({ field: 'message_reactions', event: { ...inbound, reaction: { mid: input.mid, action: 'react', emoji: input.emoji ?? '👍' } } });
    } else {
      const message = known();
      const event = { recipient: inbound.recipient, timestamp: now, read: { mid: message.mid } };
      emitted.push({ field: 'messaging_seen', event: input.variant === 'seen_redelivered' ? { ...event, sender: inbound.sender } : event, times: input.variant === 'seen_redelivered' ? 2 : 1 });
    }

    const deliveries = emitted.flatMap((e) => Array.from({ length: e.times ?? 1 }, () => webhooks.emit(account.igId, e.field, e.event, 'messaging', e.options ?? {})).flat());
    await webhooks.settle();
    return { variant: input.variant, mid, event: emitted[0]?.event ?? {}, deliveries };
  });
}
