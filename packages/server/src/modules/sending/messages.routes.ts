import { messageSchema, routes, sendMessageBodySchema } from '@threadline/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { route } from '../../http/route.ts';
import type { App } from '../../http/server.ts';
import type { RequestAuth } from '../auth/auth.plugin.ts';
import type { InboxReadRepository } from '../inbox/inbox-read.repository.ts';
import { authOf } from '../auth/auth.plugin.ts';
import type { InboxService } from '../inbox/inbox.service.ts';
import type { DirectActions } from './direct-actions.ts';
import type { Idempotency } from './idempotency.ts';
import type { MessagesService, SendAuthor } from './messages.service.ts';
import { messagesErrors } from './messages.errors.ts';

export type MessagesRoutesOptions = {
  inbox: InboxService;
  repo: InboxReadRepository;
  messages: MessagesService;
  actions: DirectActions;
  idempotency: Idempotency;
};

const authorOf = (auth: RequestAuth): SendAuthor =>
  auth.kind === 'session' ? { type: 'user', userId: auth.userId, username: auth.username } : { type: 'api_key', keyId: auth.keyId };
const scopeOf = (auth: RequestAuth) => (auth.kind === 'session' ? `user:${auth.userId}` : `key:${auth.keyId}`);
const keyHeader = (req: FastifyRequest) => {
  const v = req.headers['idempotency-key'];
  return typeof v === 'string' ? v : undefined;
};

/** Sending: queued with Meta's rules checked first; `Idempotency-Key` makes a retried request answer the first result. */
export async function messagesRoutes(app: App, opts: MessagesRoutesOptions) {
  const { inbox, messages, actions, idempotency } = opts;

  async function sendAndAnswer(req: FastifyRequest, reply: FastifyReply, conversationId: string | null, igsid: string | null, rawBody: unknown) {
    const auth = authOf(req);
    const key = idempotency.validateKey(keyHeader(req));
    const result = await idempotency.run(scopeOf(auth), key, { conversationId, igsid, rawBody }, async () => {
      const parsed = sendMessageBodySchema.safeParse(rawBody);
      if (!parsed.success) throw messagesErrors.invalidBody(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
      if (auth.kind === 'session' && parsed.data.human_agent !== undefined) {
        throw messagesErrors.humanAgentFromInbox();
      }
      const conv = conversationId
        ? await inbox.conversation(auth, conversationId, 'admin')
        : await opts.repo.findConversationByIgsid(await inbox.accountOf(auth, 'admin'), igsid ?? '');
      if (!conv) throw messagesErrors.noConversationWithContact();
      const id = await messages.send(conv, authorOf(auth), parsed.data);
      const body = await inbox.presentMessage(conv.conversation.accountId, id);
      return { statusCode: 202, body };
    });
    return reply.code(result.statusCode).send(messageSchema.parse(result.body));
  }

  const { ui, api } = routes.sending;
  route(app, ui.send, async (req, reply) => sendAndAnswer(req, reply, req.params.id, null, req.body));
  route(app, api.send, async (req, reply) => {
    const { conversation_id, recipient_igsid, ...rest } = req.body;
    return sendAndAnswer(req, reply, typeof conversation_id === 'string' ? conversation_id : null, typeof recipient_igsid === 'string' ? recipient_igsid : null, rest);
  });

  for (const def of [ui.react, api.react]) {
    route(app, def, async (req) => {
      await actions.react(await inbox.conversation(authOf(req), req.params.id, 'admin'), req.params.messageId, req.body.reaction);
      return { ok: true as const };
    });
  }
  for (const def of [ui.unreact, api.unreact]) {
    route(app, def, async (req) => {
      await actions.unreact(await inbox.conversation(authOf(req), req.params.id, 'admin'), req.params.messageId);
      return { ok: true as const };
    });
  }
  for (const def of [ui.retry, api.retry]) {
    route(app, def, async (req, reply) => {
      const conv = await inbox.conversation(authOf(req), req.params.id, 'admin');
      const id = await messages.retry(conv.conversation.accountId, req.params.messageId);
      return reply.code(202).send(messageSchema.parse(await inbox.presentMessage(conv.conversation.accountId, id)));
    });
  }
  for (const def of [ui.senderAction, api.senderAction]) {
    route(app, def, async (req) => {
      await actions.senderAction(await inbox.conversation(authOf(req), req.params.id, 'admin'), req.body.action);
      return { ok: true as const };
    });
  }
}
