import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SimContext } from '../context.ts';
import { newCommentId, newMid } from '../ids.ts';
import { ensureConversation, markCustomerInteraction, recordMessage } from '../messaging/conversations.ts';
import { ControlError } from '../platform/errors.ts';
import type { SimMessage } from '../state/schema.ts';
import {
  commentChange, editEvent, messageEvent, postbackEvent, reactionEvent, referralEvent, seenEvent, unsendEvent,
} from '../webhooks/events.ts';
import { requireAccount, requireCustomer } from './entity-service.ts';
import {
  businessMessageSchema, commentSchemaInput, customerMessageSchema, editSchema, midSchema, postbackSchema,
  reactionSchema, referralSchema, seenSchema,
} from './schemas.ts';

const idParams = z.object({ id: z.string() });

/**
 * Control API: a customer (or the business, typing in the Instagram app) does something; the simulator stores it
 * and sends the webhook. Each answer waits for the first delivery attempt, so a test can assert right after.
 */
export function registerCustomerRoutes(app: FastifyInstance, ctx: SimContext): void {
  const { state, clock, webhooks } = ctx;

  const thread = (customerId: string, to: string) => {
    const customer = requireCustomer(ctx, customerId);
    const account = requireAccount(ctx, to);
    return { customer, account, conversation: ensureConversation(state, clock, account.igId, customer.igsid) };
  };
  const messageIn = (conversationId: string, mid: string): SimMessage => {
    const message = state.message(mid);
    if (!message || message.conversationId !== conversationId) throw new ControlError(404, 'sim.message_not_found', `No message ${mid} in this thread`);
    return message;
  };
  const done = async (deliveries: string[], extra: Record<string, unknown>) => {
    await webhooks.settle();
    return { ...extra, deliveries };
  };
  const parties = (customer: string, account: string) => ({ sender: customer, recipient: account });

  app.post('/_sim/customers/:id/messages', async (request) => {
    const input = customerMessageSchema.parse(request.body);
    const { account, conversation } = thread(idParams.parse(request.params).id, input.to);
    if (!input.text && !input.attachments?.length && !input.isUnsupported)
      throw new ControlError(400, 'sim.invalid_request', 'a message needs text, attachments or isUnsupported');
    if (input.replyTo && 'mid' in input.replyTo) messageIn(conversation.id, input.replyTo.mid);
    const message = recordMessage(state, clock, {
      conversation, direction: 'inbound', source: 'customer', text: input.text,
      attachments: input.attachments?.map((a) => ({ type: a.type, payload: { url: a.url } })),
      isUnsupported: input.isUnsupported,
    });
    const event = messageEvent(message, state.data.variants, {
      quickReply: input.quickReply, replyTo: input.replyTo, referral: input.referral, isSelf: input.isSelf,
    });
    // `deliver: false`: a message from before the app was connected (Meta has it, no webhook ever told the app)
    const ids = input.deliver === false ? [] : webhooks.emit(account.igId, 'messages', event);
    return done(ids, { mid: message.mid, conversationId: conversation.id, event });
  });

  app.post('/_sim/customers/:id/reactions', async (request) => {
    const input = reactionSchema.parse(request.body);
    const { account, customer, conversation } = thread(idParams.parse(request.params).id, input.to);
    // a reaction may name a message the simulator never delivered (one from before the app was connected, §3.7)
    if (state.message(input.mid)) messageIn(conversation.id, input.mid);
    const event = reactionEvent(parties(customer.igsid, account.igId), clock.now(), input, state.data.variants);
    return done(webhooks.emit(account.igId, 'message_reactions', event), { event });
  });

  app.post('/_sim/customers/:id/unsend', async (request) => {
    const input = midSchema.parse(request.body);
    const { account, conversation } = thread(idParams.parse(request.params).id, input.to);
    const message = messageIn(conversation.id, input.mid);
    if (message.direction !== 'inbound') throw new ControlError(409, 'sim.not_own_message', 'a customer can unsend only their own messages');
    message.deleted = true;
    const event = unsendEvent(message, clock.now(), state.data.variants);
    return done(webhooks.emit(account.igId, 'messages', event), { event });
  });

  app.post('/_sim/customers/:id/edits', async (request) => {
    const input = editSchema.parse(request.body);
    const { account, conversation } = thread(idParams.parse(request.params).id, input.to);
    const message = messageIn(conversation.id, input.mid);
    if (message.direction !== 'inbound') throw new ControlError(409, 'sim.not_own_message', 'a customer can edit only their own messages');
    message.text = input.text;
    message.editCount += 1;
    const event = editEvent(message, clock.now(), state.data.variants);
    const ids = state.data.variants.messageEdits === 'messages' ? webhooks.emit(account.igId, 'messages', event) : [];
    return done(ids, { event });
  });

  app.post('/_sim/customers/:id/seen', async (request) => {
    const input = seenSchema.parse(request.body);
    const { account, customer, conversation } = thread(idParams.parse(request.params).id, input.to);
    const lastOutbound = state.messagesOf(conversation.id).find((m) => m.direction === 'outbound');
    const mid = input.mid ?? lastOutbound?.mid;
    if (!mid) throw new ControlError(409, 'sim.nothing_to_see', 'the business has not sent anything in this thread');
    messageIn(conversation.id, mid);
    const event = seenEvent(parties(customer.igsid, account.igId), clock.now(), mid, state.data.variants);
    const ids = webhooks.emit(account.igId, 'messaging_seen', event);
    // the same seen event delivered again, same mid and timestamp (§3.7)
    if (state.data.variants.seenRedelivery) ids.push(...webhooks.emit(account.igId, 'messaging_seen', event));
    return done(ids, { event });
  });

  app.post('/_sim/customers/:id/postbacks', async (request) => {
    const input = postbackSchema.parse(request.body);
    const { account, customer, conversation } = thread(idParams.parse(request.params).id, input.to);
    markCustomerInteraction(conversation, clock.now());
    const postback = { mid: input.mid ?? newMid(), title: input.title, payload: input.payload };
    const event = postbackEvent(parties(customer.igsid, account.igId), clock.now(), postback);
    return done(webhooks.emit(account.igId, 'messaging_postbacks', event), { event });
  });

  app.post('/_sim/customers/:id/referrals', async (request) => {
    const input = referralSchema.parse(request.body);
    const { account, customer, conversation } = thread(idParams.parse(request.params).id, input.to);
    markCustomerInteraction(conversation, clock.now());
    const event = referralEvent(parties(customer.igsid, account.igId), clock.now(), {
      ref: input.ref, source: input.source, type: input.type,
    });
    return done(webhooks.emit(account.igId, 'messaging_referral', event), { event });
  });

  app.post('/_sim/customers/:id/comments', async (request) => {
    const input = commentSchemaInput.parse(request.body);
    const customer = requireCustomer(ctx, idParams.parse(request.params).id);
    const account = requireAccount(ctx, input.to);
    const mediaId = input.mediaId ?? account.mediaIds[0];
    if (!mediaId) throw new ControlError(409, 'sim.no_media', 'the account has no media to comment on');
    const comment = {
      id: newCommentId(), accountId: account.igId, customerId: customer.igsid, mediaId, text: input.text,
      createdAt: clock.now(), privateReplied: false,
    };
    state.data.comments.push(comment);
    const change = commentChange(comment, { id: customer.igsid, username: customer.username });
    return done(webhooks.emit(account.igId, 'comments', change, 'changes'), { commentId: comment.id, event: change });
  });

  /** The business types a reply in the Instagram app: apps get an echo (§3.4). */
  app.post('/_sim/accounts/:id/messages', async (request) => {
    const input = businessMessageSchema.parse(request.body);
    const { account, conversation } = thread(input.to, idParams.parse(request.params).id);
    if (!input.text && !input.attachments?.length) throw new ControlError(400, 'sim.invalid_request', 'a message needs text or attachments');
    const message = recordMessage(state, clock, {
      conversation, direction: 'outbound', source: 'instagram_app', text: input.text,
      attachments: input.attachments?.map((a) => ({ type: a.type, payload: { url: a.url } })),
    });
    const event = messageEvent(message, state.data.variants);
    const ids = input.deliver === false ? [] : webhooks.emit(account.igId, 'message_echoes', event);
    return done(ids, { mid: message.mid, conversationId: conversation.id, event });
  });
}
